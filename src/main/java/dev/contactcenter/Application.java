package dev.contactcenter;

import dev.contactcenter.ari.AriSettings;
import dev.contactcenter.ari.AriVerticle;
import dev.contactcenter.auth.AdminBootstrap;
import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.SecretKeyStore;
import dev.contactcenter.auth.TokenRateLimiter;
import dev.contactcenter.auth.TokenService;
import dev.contactcenter.cluster.ClusterNode;
import dev.contactcenter.cluster.ClusterSettings;
import dev.contactcenter.cluster.ClusterStatus;
import dev.contactcenter.cluster.NodeLogging;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.config.ConfigException;
import dev.contactcenter.config.StartupProblem;
import dev.contactcenter.db.DatabaseSupply;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.http.ApiContract;
import dev.contactcenter.http.HttpServices;
import dev.contactcenter.http.HttpVerticle;
import dev.contactcenter.http.ListenAddress;
import dev.contactcenter.http.StartGate;
import dev.contactcenter.metrics.ServiceMetrics;
import dev.contactcenter.persistence.PersistenceVerticle;
import dev.contactcenter.sandbox.SandboxAriServer;
import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.webhooks.WebhookMetrics;
import dev.contactcenter.webhooks.WebhookRelayVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service: database (external or embedded), migrations, then the verticles in order
 * persistence → ARI (or the sandbox) → HTTP. {@link #start(AppConfig)} is used by {@link Main} and by tests.
 */
public final class Application {

  private static final Logger LOG = LoggerFactory.getLogger(Application.class);

  private final Vertx vertx;
  private final DatabaseSupply database;
  private final AppConfig config;
  private final int httpPort;
  private final Optional<String> generatedAdminPassword;
  private final boolean secretGenerated;
  private final PasswordHasher hasher;

  private Application(Vertx vertx, DatabaseSupply database, AppConfig config, int httpPort,
      Optional<String> generatedAdminPassword, boolean secretGenerated, PasswordHasher hasher) {
    this.vertx = vertx;
    this.database = database;
    this.config = config;
    this.httpPort = httpPort;
    this.generatedAdminPassword = generatedAdminPassword;
    this.secretGenerated = secretGenerated;
    this.hasher = hasher;
  }

  /** Starts everything; blocks the calling thread (never an event loop) until the service listens. */
  public static Application start(AppConfig initial) throws Exception {
    if (initial.ariHttpUrl().isEmpty() && !initial.asteriskServers().isEmpty()) {
      // Never ignore a server list silently (the service would fall back to the sandbox).
      throw new ConfigException("ASTERISK_SERVERS", "server lists are read and checked but not yet used by this "
          + "version; configure one server with ARI_HTTP_URL, ARI_USERNAME, ARI_PASSWORD");
    }
    ListenAddress.ensureFree(initial.httpHost(), initial.httpPort());
    NodeLogging.apply(initial.cluster());
    ServiceMetrics metrics = ServiceMetrics.create(initial.metricsEnabled());
    Vertx vertx = startVertx(initial.cluster(), metrics);
    DatabaseSupply database = null;
    try {
      AppConfig config = initial;
      metrics.describeNode(initial.cluster().nodeName(), initial.cluster().clusterName());
      ClusterStatus.register(vertx, initial.cluster()).await();
      database = vertx.executeBlocking(() -> DatabaseSupply.forService(initial)).await();
      DatabaseSupply db = database;
      vertx.executeBlocking(() -> Migrations.migrate(db.url())).await();

      boolean secretGenerated = false;
      if (config.secretKey().isEmpty()) {
        SecretKeyStore.Loaded secret = vertx.executeBlocking(() -> SecretKeyStore.loadOrCreate(initial.dataDir())).await();
        secretGenerated = secret.generated();
        config = config.withSecretKey(secret.secret());
      }

      vertx.deployVerticle(new PersistenceVerticle(database.url(), config.databasePoolSize())).await();
      if (config.webhooks().enabled()) {
        vertx.deployVerticle(new WebhookRelayVerticle(config.webhooks(), new WebhookMetrics(metrics.registry()))).await();
      }
      AppConfig withSecret = config;
      PasswordHasher hasher = vertx.executeBlocking(() -> new PasswordHasher(vertx, withSecret.bcryptCost())).await();

      AriSettings ari = config.sandboxMode() ? startSandbox(vertx, config) : AriSettings.from(config);
      metrics.calls().countFinalStatuses(vertx.eventBus()).completion().await();
      vertx.deployVerticle(new AriVerticle(ari, metrics.calls())).await();

      TokenService tokens = new TokenService(vertx, config.secretKey().orElseThrow(), config.jwtIssuer(),
          config.jwtAudience(), config.accessTokenTtlSeconds());
      StartGate gate = StartGate.closed();
      HttpServices services = new HttpServices(hasher, tokens,
          new TokenRateLimiter(config.tokenRateLimit(), config.tokenRateWindowSeconds()),
          ApiContract.load(vertx).await(), metrics, gate);
      vertx.setPeriodic(60_000, id -> services.tokenLimiter().evictIdle(System.currentTimeMillis()));
      int instances = config.httpInstances() > 0 ? config.httpInstances() : Runtime.getRuntime().availableProcessors();
      AtomicReference<HttpVerticle> first = new AtomicReference<>();
      AppConfig finalConfig = config;
      try {
        vertx.deployVerticle(() -> {
          HttpVerticle verticle = new HttpVerticle(finalConfig, services);
          first.compareAndSet(null, verticle);
          return verticle;
        }, new DeploymentOptions().setInstances(instances)).await();
      } catch (Exception e) {
        if (ListenAddress.explain(e, config.httpHost(), config.httpPort()) instanceof StartupProblem problem) {
          throw problem;
        }
        throw e;
      }
      // Only now that the port is ours: a start that failed earlier must not leave an admin whose random
      // password nobody saw. Until the gate opens, requests get 503 + Retry-After.
      Optional<String> adminPassword = AdminBootstrap.ensureAdmin(vertx.eventBus(), hasher, config.adminPassword()).await();
      gate.open();

      return new Application(vertx, database, config, first.get().actualPort(), adminPassword, secretGenerated, hasher);
    } catch (Exception | Error e) {
      vertx.close().await();
      if (database != null) {
        database.close();
      }
      throw e;
    }
  }

  /** A plain Vert.x; with CLUSTER_ENABLED, one that has joined the cluster (the only path touching Hazelcast). */
  private static Vertx startVertx(ClusterSettings cluster, ServiceMetrics metrics) throws Exception {
    if (!cluster.enabled()) {
      return metrics.createVertx(vertxOptions());
    }
    Vertx vertx = ClusterNode.join(cluster, metrics::builder, vertxOptions()).await();
    LOG.info("Node {} joined cluster {} on {}:{} (members {})", cluster.nodeName(), cluster.clusterName(),
        cluster.host(), cluster.port(), String.join(",", cluster.members()));
    return vertx;
  }

  /** The in-process ARI sandbox on loopback, with throw-away credentials; the ARI verticle talks to it over HTTP. */
  private static AriSettings startSandbox(Vertx vertx, AppConfig config) {
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    SandboxAriServer sandbox = new SandboxAriServer("sandbox", password, SandboxTiming.defaults().withScale(config.sandboxTimeScale()));
    vertx.deployVerticle(sandbox).await();
    return AriSettings.sandbox(config, "http://127.0.0.1:" + sandbox.actualPort(), "sandbox", password);
  }

  /** Vert.x options; tests point {@code vertx.parameter.filename} at a file with a tight blocked-thread checker. */
  static VertxOptions vertxOptions() {
    String file = System.getProperty("vertx.parameter.filename", System.getenv("VERTX_PARAMETER_FILENAME"));
    if (file != null && !file.isBlank()) {
      try {
        return new VertxOptions(new JsonObject(Files.readString(Path.of(file))));
      } catch (IOException e) {
        throw new IllegalStateException("cannot read Vert.x options from " + file, e);
      }
    }
    return new VertxOptions();
  }

  public Vertx vertx() {
    return vertx;
  }

  public AppConfig config() {
    return config;
  }

  public int httpPort() {
    return httpPort;
  }

  public Optional<String> generatedAdminPassword() {
    return generatedAdminPassword;
  }

  public boolean secretGenerated() {
    return secretGenerated;
  }

  public boolean embeddedDatabase() {
    return database.embedded();
  }

  /** Stops the verticles, then the embedded database. Blocking. */
  public void stop() throws IOException {
    long started = System.nanoTime();
    try {
      vertx.close().await();
    } finally {
      hasher.close();
      database.close();
    }
    LOG.info("Stopped in {} ms: HTTP server, event-bus bridge and verticles closed{}",
        (System.nanoTime() - started) / 1_000_000,
        database.embedded() ? ", embedded PostgreSQL shut down (data kept in " + config.dataDir() + ")" : "");
  }
}
