package dev.contactcenter.sandbox;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process imitation of the part of Asterisk 22's ARI the service uses, so the service runs
 * without a PBX: {@code GET /ari/asterisk/info}, originate, get, list, hang up and continue channels,
 * application subscriptions, and the {@code /ari/events} WebSocket, all behind the ARI user's
 * credentials. Calls are simulated: the last digit of the dialled number picks what the callee does
 * (see {@link CalleeScript}), and {@link SandboxTiming} says how long each step takes.
 *
 * <p>Clients talk to it over real HTTP and WebSocket exactly as to Asterisk. It listens on
 * 127.0.0.1, on the port in the deployment config key {@value #CONFIG_PORT} (default 0, any free
 * port; see {@link #actualPort()}). All call state lives on this verticle's event loop.
 */
public final class SandboxAriServer extends VerticleBase {

  /** Config key of the port to listen on; 0 or absent picks a free port. */
  public static final String CONFIG_PORT = "port";
  /** The {@code entity_id} and {@code asterisk_id} the sandbox reports. */
  public static final String ASTERISK_ID = "sandbox";

  private static final Logger LOG = LoggerFactory.getLogger(SandboxAriServer.class);
  // Loopback only: the sandbox accepts the service's own ARI credentials and nothing else needs it.
  private static final String HOST = "127.0.0.1";

  private final String username;
  private final String password;
  private final SandboxTiming timing;
  private CallSimulator calls;
  private HttpServer server;
  private volatile int actualPort = -1;

  /**
   * @param username the ARI user clients must authenticate as
   * @param password that user's password
   * @param timing how long simulated calls take, e.g. {@link SandboxTiming#defaults()}
   */
  public SandboxAriServer(String username, String password, SandboxTiming timing) {
    this.username = Objects.requireNonNull(username, "username");
    this.password = Objects.requireNonNull(password, "password");
    this.timing = Objects.requireNonNull(timing, "timing");
  }

  @Override
  public Future<?> start() {
    AriClock clock = new AriClock();
    EventStreams streams = new EventStreams();
    calls = new CallSimulator(context, timing, clock, new AriEvents(ASTERISK_ID), streams);
    SandboxRoutes routes = new SandboxRoutes(calls, streams, info(AriClock.format(clock.nowMs())));
    int port = config().getInteger(CONFIG_PORT, 0);
    return vertx.createHttpServer()
        .requestHandler(routes.router(vertx, new AriAuthHandler(username, password)))
        .listen(port, HOST)
        .onSuccess(listening -> {
          server = listening;
          actualPort = listening.actualPort();
          LOG.info("ARI sandbox listening on http://{}:{}/ari: calls are simulated, no PBX is involved",
              HOST, actualPort);
        });
  }

  @Override
  public Future<?> stop() {
    if (calls != null) {
      calls.shutdown();
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** The port the sandbox listens on; only valid once {@link #start()} has succeeded. */
  public int actualPort() {
    int port = actualPort;
    if (port < 0) {
      throw new IllegalStateException("the ARI sandbox is not listening yet");
    }
    return port;
  }

  private static JsonObject info(String startedAt) {
    return new JsonObject()
        .put("build", new JsonObject()
            .put("os", "sandbox")
            .put("kernel", "")
            .put("machine", "")
            .put("options", "")
            .put("date", startedAt)
            .put("user", ""))
        .put("system", new JsonObject().put("version", "sandbox").put("entity_id", ASTERISK_ID))
        .put("config", new JsonObject()
            .put("name", "")
            .put("default_language", "en")
            .put("setid", new JsonObject().put("user", "").put("group", "")))
        .put("status", new JsonObject().put("startup_time", startedAt).put("last_reload_time", startedAt))
        .put("sandbox", true);
  }
}
