package dev.contactcenter.support;

import dev.contactcenter.ari.AriSettings;
import dev.contactcenter.sandbox.SandboxAriServer;
import dev.contactcenter.sandbox.SandboxTiming;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * An "Asterisk" standing apart from the service under test: the ARI sandbox in a Vert.x of the test's own, on a free
 * loopback port, reached over HTTP like a real Asterisk. It outlives the service (calls keep running in it across a
 * restart, their events lost while nobody listens), and the test can take it away and bring it back.
 */
public final class StandaloneAri implements AutoCloseable {

  public static final String USER = "asterisk";
  /** A Local channel into the test dialplan's {@code [callee]} context, as the project's real Asterisk tests dial. */
  public static final String LOCAL_ENDPOINT = "Local/{digits}@callee/n";

  private final Vertx vertx = Vertx.vertx();
  private final String user;
  private final String password;
  private final SandboxTiming timing;
  private int port;

  private StandaloneAri(String user, String password, SandboxTiming timing) {
    this.user = user;
    this.password = password;
    this.timing = timing;
  }

  /** A sandbox with user {@value #USER}, the given password and the default timings. */
  public static StandaloneAri start(String password) {
    return start(USER, password, SandboxTiming.defaults());
  }

  public static StandaloneAri start(String user, String password, SandboxTiming timing) {
    StandaloneAri ari = new StandaloneAri(user, password, timing);
    try {
      ari.port = ari.deploy(0);
    } catch (RuntimeException e) {
      ari.close();
      throw e;
    }
    return ari;
  }

  private int deploy(int onPort) {
    SandboxAriServer sandbox = new SandboxAriServer(user, password, timing);
    vertx.deployVerticle(sandbox, new DeploymentOptions()
        .setConfig(new JsonObject().put(SandboxAriServer.CONFIG_PORT, onPort))).await();
    return sandbox.actualPort();
  }

  public int port() {
    return port;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public String user() {
    return user;
  }

  public String password() {
    return password;
  }

  /** The {@code Authorization} header value for requests the test sends to this "Asterisk" itself. */
  public String basicAuth() {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** {@code env} pointed at this sandbox (URL, credentials, no built-in sandbox), dialling {@link #LOCAL_ENDPOINT}. */
  public Map<String, String> pointAt(Map<String, String> env) {
    TestApp.withAri(env, url());
    env.put("ARI_USERNAME", user);
    env.put("ARI_PASSWORD", password);
    env.put("ARI_ENDPOINT_TEMPLATE", LOCAL_ENDPOINT);
    return env;
  }

  /** {@link TestApp#defaultEnv()} pointed at this sandbox. */
  public Map<String, String> serviceEnv() {
    return pointAt(TestApp.defaultEnv());
  }

  /** The ARI settings of a service part deployed by the test itself, under the ARI application {@code app}. */
  public AriSettings settings(String app) {
    return new AriSettings(url(), user, password, app, LOCAL_ENDPOINT, 2_000, true);
  }

  /** Asterisk goes away with every channel it had (the service sees its socket close). */
  public void stop() {
    for (String id : Set.copyOf(vertx.deploymentIDs())) {
      vertx.undeploy(id).await();
    }
  }

  /** Asterisk comes back on the same port, empty. */
  public void restart() {
    deploy(port);
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
