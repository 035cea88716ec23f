package dev.contactcenter.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashMap;
import java.util.Map;

/**
 * Closes a connection that has not delivered a complete request head within the deadline: at connect, and again
 * after each response (a keep-alive connection must start its next request in time). The server's idle timeout alone
 * does not do it: a client trickling one header byte every few seconds is never idle.
 *
 * <p>One instance per HTTP verticle, used on its event loop only.
 */
final class HeaderDeadline {

  private final Vertx vertx;
  private final long deadlineMs;
  private final Map<HttpConnection, Long> timers = new HashMap<>();

  HeaderDeadline(Vertx vertx, long deadlineMs) {
    this.vertx = vertx;
    this.deadlineMs = deadlineMs;
  }

  void connected(HttpConnection connection) {
    arm(connection);
    connection.closeHandler(closed -> disarm(connection));
  }

  /** The request head is complete: no deadline while it is served; a new one once its response has ended. */
  void headReceived(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    disarm(connection);
    request.response().endHandler(ended -> {
      if (!request.response().closed()) {
        arm(connection);
      }
    });
  }

  int open() {
    return timers.size();
  }

  private void arm(HttpConnection connection) {
    disarm(connection);
    timers.put(connection, vertx.setTimer(deadlineMs, id -> {
      timers.remove(connection);
      connection.close();
    }));
  }

  private void disarm(HttpConnection connection) {
    Long timer = timers.remove(connection);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }
}
