package dev.contactcenter.http;

import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds requests off with 503 + Retry-After between the moment the port is bound and the moment the service can
 * serve them (its first admin exists): the port is taken early so a busy port fails the start before anything is
 * created, and nobody polling /health sees 200 before they can sign in.
 */
public final class StartGate {

  private final AtomicBoolean open;

  private StartGate(boolean open) {
    this.open = new AtomicBoolean(open);
  }

  public static StartGate closed() {
    return new StartGate(false);
  }

  public static StartGate opened() {
    return new StartGate(true);
  }

  public void open() {
    open.set(true);
  }

  void handle(RoutingContext rc) {
    if (open.get()) {
      rc.next();
      return;
    }
    rc.response().putHeader("Retry-After", "1");
    Problems.send(rc, 503, "the service is starting; retry in a second");
  }
}
