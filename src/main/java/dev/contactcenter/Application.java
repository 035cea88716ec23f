package dev.contactcenter;

import dev.contactcenter.ari.AriSettings;
import dev.contactcenter.dispatch.Dispatch;
import dev.contactcenter.dispatch.DispatchMetrics;
import dev.contactcenter.dispatch.DispatchVerticle;
import dev.contactcenter.auth.AdminBootstrap;
import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.auth.SecretKeyStore;
import dev.contactcenter.auth.TokenRateLimiter;
import dev.contactcenter.auth.TokenService;
import dev.contactcenter.cluster.AsteriskServer;
import dev.contactcenter.cluster.ClusterNode;
import dev.contactcenter.cluster.OwnershipTiming;
import dev.contactcenter.cluster.ServerDirectory;
import dev.contactcenter.cluster.ServerRuntimes;
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
import dev.contactcenter.retention.RetentionVerticle;
import dev.contactcenter.sandbox.SandboxAriServer;
import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.webhooks.WebhookMetrics;
import dev.contactcenter.webhooks.WebhookRelayVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  /** How often each node reads the servers' owners and active calls for choosing where new calls go. */
  private static final long SERVER_LOAD_REFRESH_MS = 1000;

  private final Vertx vertx;
  private final DatabaseSupply database;
  private final AppConfig config;
  private final int httpPort;
  private final Optional<String> generatedAdminPassword;
  private final boolean secretGenerated;
  private final PasswordHasher hasher;
  private final Deployments deployments;

  /** What {@link #stop()} undeploys, in this order: HTTP first, the database last. */
  record Deployments(String http, ServerRuntimes servers, String persistenceId,
      PersistenceVerticle persistence) {
  }

  private Application(Vertx vertx, DatabaseSupply database, AppConfig config, int httpPort,
      Optional<String> generatedAdminPassword, boolean secretGenerated, PasswordHasher hasher, Deployments deployments) {
    this.vertx = vertx;
    this.database = database;
    this.config = config;
    this.httpPort = httpPort;
    this.generatedAdminPassword = generatedAdminPassword;
    this.secretGenerated = secretGenerated;
    this.hasher = hasher;
    this.deployments = deployments;
  }

  /** Starts everything; blocks the calling thread (never an event loop) until the service listens. */
  public static Application start(AppConfig initial) throws Exception {
    ListenAddress.ensureFree(initial.httpHost(), initial.httpPort());
    NodeLogging.apply(initial.cluster());
    ServiceMetrics metrics = ServiceMetrics.create(initial.metricsEnabled());
    Vertx vertx = startVertx(initial.cluster(), metrics,
        vertxOptions().setEventLoopPoolSize(initial.effectiveEventLoops()));
    DatabaseSupply database = null;
    try {
      AppConfig config = initial;
      metrics.describeNode(initial.cluster().nodeName(), initial.cluster().clusterName());
      ClusterStatus.register(vertx, initial.cluster()).await();
      // Compiling the contract (a second of CPU on a cold JVM) overlaps the database's start and migrations.
      Future<ApiContract> contract = ApiContract.load(vertx);
      database = vertx.executeBlocking(() -> DatabaseSupply.forService(initial)).await();
      DatabaseSupply db = database;
      vertx.executeBlocking(() -> Migrations.migrate(db.url())).await();

      boolean secretGenerated = false;
      if (config.secretKey().isEmpty()) {
        SecretKeyStore.Loaded secret = vertx.executeBlocking(() -> SecretKeyStore.loadOrCreate(initial.dataDir())).await();
        secretGenerated = secret.generated();
        config = config.withSecretKey(secret.secret());
      }

      PersistenceVerticle persistence = new PersistenceVerticle(database.url(), config.databasePool());
      String persistenceId = vertx.deployVerticle(persistence).await();
      if (config.retention().enabled()) {
        vertx.deployVerticle(new RetentionVerticle(database.url(), config.retention())).await();
      }
      if (config.webhooks().enabled()) {
        vertx.deployVerticle(new WebhookRelayVerticle(config.webhooks(), new WebhookMetrics(metrics.registry()))).await();
      }
      AppConfig withSecret = config;
      PasswordHasher hasher = vertx.executeBlocking(() -> new PasswordHasher(vertx, withSecret.bcryptCost())).await();

      List<ServerRuntimes.Server> servers = config.sandboxMode()
          ? List.of(new ServerRuntimes.Server(AsteriskServer.DEFAULT_NAME, startSandbox(vertx, config)))
          : config.asteriskServers().stream().map(s -> new ServerRuntimes.Server(s.name(), AriSettings.of(s,
              withSecret.ariRequestTimeoutMs()))).toList();
      metrics.calls().countFinalStatuses(vertx.eventBus()).completion().await();
      ServerRuntimes runtimes = ServerRuntimes.start(vertx, servers, PgConnectOptions.fromUri(db.url().reactiveUri()),
          config.cluster().nodeName(), OwnershipTiming.defaults(), metrics.calls(), config.cluster().balance()).await();
      Map<String, Integer> weights = new LinkedHashMap<>();
      servers.forEach(s -> weights.put(s.name(), withSecret.asteriskServers().stream()
          .filter(listed -> listed.name().equals(s.name())).mapToInt(AsteriskServer::weight).findFirst().orElse(1)));
      ServerDirectory.start(vertx, weights, runtimes::owned, runtimes::ariConnected, SERVER_LOAD_REFRESH_MS).await();
      // Each server's dispatcher paces and dials its queue while this node owns the server (the one that dials).
      DispatchMetrics dispatchMetrics = new DispatchMetrics(metrics.registry());
      for (ServerRuntimes.Server s : servers) {
        vertx.deployVerticle(new DispatchVerticle(s.name(), Dispatch.limitsOf(config, s.name()),
            config.dispatch().pollMs(), s.settings().timeouts().originateReplyMs(), dispatchMetrics)).await();
      }

      TokenService tokens = new TokenService(vertx, config.secretKey().orElseThrow(), config.jwtIssuer(),
          config.jwtAudience(), config.accessTokenTtlSeconds());
      StartGate gate = StartGate.closed();
      HttpServices services = new HttpServices(hasher, tokens,
          tokenLimiter(vertx, config),
          contract.await(), metrics, gate);
      vertx.setPeriodic(60_000, id -> services.tokenLimiter().evictIdle(System.currentTimeMillis()));
      int instances = config.effectiveHttpInstances();
      AtomicReference<HttpVerticle> first = new AtomicReference<>();
      AppConfig finalConfig = config;
      String httpId;
      try {
        httpId = vertx.deployVerticle(() -> {
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

      return new Application(vertx, database, config, first.get().actualPort(), adminPassword, secretGenerated, hasher,
          new Deployments(httpId, runtimes, persistenceId, persistence));
    } catch (Exception | Error e) {
      vertx.close().await();
      if (database != null) {
        database.close();
      }
      throw e;
    }
  }

  /** A plain Vert.x; with CLUSTER_ENABLED, one that has joined the cluster (the only path touching Hazelcast). */
  private static Vertx startVertx(ClusterSettings cluster, ServiceMetrics metrics, VertxOptions options)
      throws Exception {
    if (!cluster.enabled()) {
      return metrics.createVertx(options);
    }
    Vertx vertx = ClusterNode.join(cluster, metrics::builder, options).await();
    LOG.info("Node {} joined cluster {} on {}:{} (members {})", cluster.nodeName(), cluster.clusterName(),
        cluster.host(), cluster.port(), String.join(",", cluster.members()));
    return vertx;
  }

  /** Per process in memory; in a cluster, one window per client address in the shared database. */
  private static TokenRateLimiter tokenLimiter(Vertx vertx, AppConfig config) {
    return config.cluster().enabled()
        ? TokenRateLimiter.clusterWide(vertx.eventBus(), config.tokenRateLimit(), config.tokenRateWindowSeconds())
        : new TokenRateLimiter(config.tokenRateLimit(), config.tokenRateWindowSeconds());
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

  /**
   * Vert.x options; tests point {@code vertx.parameter.filename} at a file with a tight blocked-thread checker. The
   * caller sets the event-loop count from EVENT_LOOPS over the file's, so that the HTTP verticle's instances (one per
   * loop by default) match the loops there are.
   */
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

  /** This node's Asterisk servers: which it owns, and their hand-overs. */
  public ServerRuntimes servers() {
    return deployments.servers();
  }

  /**
   * Stops gracefully within SHUTDOWN_GRACE_SECONDS (blocking): new calls are refused, work in progress finishes,
   * calls go on in Asterisk and are followed again on the next start; see {@link GracefulStop}.
   */
  public void stop() throws IOException {
    new GracefulStop(vertx, config, database, hasher, deployments).run();
  }
}
