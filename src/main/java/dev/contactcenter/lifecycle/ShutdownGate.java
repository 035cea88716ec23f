package dev.contactcenter.lifecycle;

import dev.contactcenter.http.Problems;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The HTTP side of a graceful shutdown, one per Vert.x instance (shared by every HTTP verticle instance): counts
 * the requests in progress and, once draining, turns away new calls with 503 + Retry-After so a client places them
 * on another instance or after the restart, while requests already accepted finish.
 */
public final class ShutdownGate implements Shareable {

  private static final String MAP = "dev.contactcenter.lifecycle";
  private static final String KEY = "shutdown-gate";
  /** The operations that place a call: createCall and createInteraction. */
  private static final Pattern NEW_CALL = Pattern.compile("/api/v2/(calls|interaction/[^/]+)/?");

  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  private ShutdownGate() {
  }

  /** The gate of this Vert.x instance. */
  public static ShutdownGate of(Vertx vertx) {
    return vertx.sharedData().<String, ShutdownGate>getLocalMap(MAP).computeIfAbsent(KEY, key -> new ShutdownGate());
  }

  /** Router handler, before authentication and body handling. */
  public void handle(RoutingContext rc) {
    if (draining.get() && rc.request().method() == HttpMethod.POST && NEW_CALL.matcher(rc.normalizedPath()).matches()) {
      refused.incrementAndGet();
      Problems.send(rc, 503, "the service is shutting down and takes no new calls; retry shortly (on another "
          + "instance, or once it has restarted)");
      return;
    }
    inFlight.incrementAndGet();
    rc.addEndHandler(done -> inFlight.decrementAndGet());
    rc.next();
  }

  /** From now on new calls are refused and readiness is down. */
  public void startDraining() {
    draining.set(true);
  }

  public boolean draining() {
    return draining.get();
  }

  public int inFlight() {
    return inFlight.get();
  }

  public int refused() {
    return refused.get();
  }

  /**
   * Waits (blocking: call it off the event loops) until no request is in progress or {@code deadlineNanos}
   * ({@link System#nanoTime()}) has passed; returns the requests still in progress.
   */
  public int awaitIdle(long deadlineNanos) throws InterruptedException {
    while (inFlight.get() > 0 && System.nanoTime() < deadlineNanos) {
      Thread.sleep(10);
    }
    return inFlight.get();
  }
}
