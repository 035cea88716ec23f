package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_MARKED_EARLIER;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Calls an earlier owner (a process killed a moment ago, say) marked sent just before it went are left out of the
 * active list while their originate may still be on its way to Asterisk. Once that window has passed, Asterisk's
 * channel list says for certain whether they were dialled: this asks for a reconciliation right then, not at the
 * periodic pass up to a minute later (the run settles a missing one, follows a live one).
 */
final class EarlierMarksWatch {

  /** After the window of a call marked sent by an earlier owner, so that the run finds it in the active list. */
  static final long AFTER_MARK_WINDOW_MS = 250;

  private final Vertx vertx;
  private final OwnerEpoch owner;
  private final Runnable reconcile;
  private long timer = -1;
  /** Until a run finds no call marked sent by an earlier owner still in its window, each successful run looks. */
  private boolean marksPossible = true;

  EarlierMarksWatch(Vertx vertx, OwnerEpoch owner, Runnable reconcile) {
    this.vertx = vertx;
    this.owner = owner;
    this.reconcile = reconcile;
  }

  /** After a successful run: sets the timer for the earliest such window, if any call is still in one. */
  void afterRun() {
    if (!marksPossible) {
      return;
    }
    vertx.eventBus().<JsonObject>request(CALLS_MARKED_EARLIER,
        new JsonObject().put("server", owner.server()).put("epoch", owner.epoch())).onSuccess(reply -> {
          Long dueInMs = reply.body().getLong("due_in_ms");
          if (dueInMs == null) {
            marksPossible = false;
            return;
          }
          vertx.cancelTimer(timer);
          timer = vertx.setTimer(Math.max(1, dueInMs) + AFTER_MARK_WINDOW_MS, id -> reconcile.run());
        });
  }

  void stop() {
    vertx.cancelTimer(timer);
  }
}
