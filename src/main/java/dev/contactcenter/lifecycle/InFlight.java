package dev.contactcenter.lifecycle;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Work a verticle has accepted and not finished (event-bus requests waiting for the database), so its stop can
 * let that work finish before closing what it needs. Used from the verticle's own event loop only.
 */
public final class InFlight {

  /** Idle this long in a row counts as done: a finished write may be followed at once by the next of its call. */
  private static final long QUIET_MS = 100;
  private static final long TICK_MS = 20;

  private int running;
  private boolean draining;
  private int finishedWhileDraining;

  public <T> Future<T> track(Future<T> work) {
    running++;
    return work.onComplete(done -> {
      running--;
      if (draining) {
        finishedWhileDraining++;
      }
    });
  }

  /** Completes once nothing has run for {@link #QUIET_MS}, or after {@code maxMs} whatever remains. */
  public Future<Void> whenIdle(Vertx vertx, long maxMs) {
    draining = true;
    Promise<Void> idle = Promise.promise();
    long deadline = System.currentTimeMillis() + maxMs;
    long[] quietSince = {running == 0 ? System.currentTimeMillis() : -1};
    vertx.setPeriodic(TICK_MS, TICK_MS, id -> {
      long now = System.currentTimeMillis();
      if (running > 0) {
        quietSince[0] = -1;
      } else if (quietSince[0] < 0) {
        quietSince[0] = now;
      }
      if (quietSince[0] >= 0 && now - quietSince[0] >= QUIET_MS || now >= deadline) {
        vertx.cancelTimer(id);
        idle.complete();
      }
    });
    return idle.future();
  }

  /** Requests that finished while {@link #whenIdle} waited. */
  public int finishedWhileDraining() {
    return finishedWhileDraining;
  }

  /** Requests still unfinished. */
  public int running() {
    return running;
  }
}
