package dev.contactcenter.cluster;

import io.vertx.core.Vertx;

/** At most one pending timer: setting the next step cancels the one before. Used on one event loop. */
final class NextStep {

  private final Vertx vertx;
  private long timer = -1;

  NextStep(Vertx vertx) {
    this.vertx = vertx;
  }

  void after(long delayMs, Runnable step) {
    cancel();
    timer = vertx.setTimer(delayMs, id -> {
      timer = -1;
      step.run();
    });
  }

  /** Whether a step is waiting for its time (not running, not none). */
  boolean pending() {
    return timer >= 0;
  }

  void cancel() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
