package dev.contactcenter.ari;

import io.vertx.core.Vertx;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks Asterisk to send our app only the event types the call path reads. Without it Asterisk builds and sends
 * every event of every call (dialplan steps, caller id, variables, the other half of Local channels), about two
 * thirds of a call's frames, and this service reads each frame only to drop it.
 *
 * <p>Set again after every connect of the events socket: a restarted Asterisk has forgotten it. An Asterisk that
 * does not take it (older than 13.26 / 16.3, or a proxy that refuses the method) still works: the socket drops the
 * frames it does not want, as before. So a refusal is retried a few times, said once, and never stops calls.
 */
final class AriEventFilter {

  private static final Logger LOG = LoggerFactory.getLogger(AriEventFilter.class);
  private static final long RETRY_MS = 5_000;
  static final int ATTEMPTS = 3;

  private final Vertx vertx;
  private final AriClient ari;
  private final Set<String> types;
  private final String server;
  private final long retryMs;
  private long retryTimer = -1;
  /** Bumped on every connect and loss, so an answer or retry of an earlier connection is ignored. */
  private long connection;
  private String lastRefusal;

  AriEventFilter(Vertx vertx, AriClient ari, Set<String> types, String server) {
    this(vertx, ari, types, server, RETRY_MS);
  }

  AriEventFilter(Vertx vertx, AriClient ari, Set<String> types, String server, long retryMs) {
    this.vertx = vertx;
    this.ari = ari;
    this.types = types;
    this.server = server;
    this.retryMs = retryMs;
  }

  /** The events socket (re)connected: the app was registered again, set its filter. */
  void connected() {
    stopped();
    attempt(connection, 1);
  }

  /** The socket is gone (or the verticle stops): nothing to filter until it connects again. */
  void stopped() {
    connection++;
    vertx.cancelTimer(retryTimer);
    retryTimer = -1;
  }

  private void attempt(long of, int attempt) {
    ari.allowOnlyEvents(types).onComplete(done -> {
      if (of != connection) {
        return;
      }
      if (done.succeeded()) {
        lastRefusal = null;
        LOG.debug("Asterisk {} sends our app only the event types {}", server, types);
        return;
      }
      if (attempt < ATTEMPTS) {
        retryTimer = vertx.setTimer(retryMs, id -> attempt(of, attempt + 1));
        return;
      }
      String refusal = done.cause().getMessage();
      if (!refusal.equals(lastRefusal)) {
        LOG.warn("Asterisk {} did not take the ARI event filter ({}): it sends every event type, which the service"
            + " reads and drops (more CPU on both sides, calls unaffected)", server, refusal);
      }
      lastRefusal = refusal;
    });
  }
}
