package dev.contactcenter.http;

import dev.contactcenter.logging.LogSafe;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request: method, path (no query string: it may carry tokens; escaped and capped, it is the client's),
 * status, bytes, duration, client.
 */
final class AccessLog {

  private static final Logger LOG = LoggerFactory.getLogger("access");

  private AccessLog() {
  }

  static void attach(RoutingContext rc) {
    long started = System.nanoTime();
    rc.addEndHandler(done -> {
      if (!LOG.isInfoEnabled()) {
        return;
      }
      long micros = (System.nanoTime() - started) / 1000;
      long fraction = micros % 1000;
      String millis = micros / 1000 + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
      RequestIds.info(rc, LOG, "{} {} {} {}B {}ms {}", rc.request().method(), LogSafe.text(rc.request().path()),
          rc.response().getStatusCode(), rc.response().bytesWritten(), millis, ClientAddress.of(rc));
    });
    rc.next();
  }
}
