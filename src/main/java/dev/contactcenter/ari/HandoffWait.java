package dev.contactcenter.ari;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * During a graceful stop: waits until every call still before its IVR hand-off (placing, dialing, ringing, or
 * answered and not yet continued) has been handed to its IVR or has ended. Asterisk hangs up a callee who answers
 * while no client has the app's WebSocket open ("Stasis app … not active"), so the socket must stay open until then.
 * Calls already in their IVR need the app no more and are not waited for. Runs on the ARI verticle's event loop.
 */
public final class HandoffWait {

  private static final long TICK_MS = 50;

  /** How many calls were waited for, and how many were still before their hand-off when the bound came. */
  public record Result(int waitedFor, int stillPending) {
  }

  private final Vertx vertx;
  private final Map<String, TrackedCall> calls;

  HandoffWait(Vertx vertx, Map<String, TrackedCall> calls) {
    this.vertx = vertx;
    this.calls = calls;
  }

  Future<Result> await(long maxMs) {
    Set<String> waitedFor = new HashSet<>();
    if (notePending(waitedFor) == 0) {
      return Future.succeededFuture(new Result(0, 0));
    }
    long deadline = System.currentTimeMillis() + maxMs;
    Promise<Result> done = Promise.promise();
    vertx.setPeriodic(TICK_MS, TICK_MS, id -> {
      int pending = notePending(waitedFor);
      if (pending == 0 || System.currentTimeMillis() >= deadline) {
        vertx.cancelTimer(id);
        done.complete(new Result(waitedFor.size(), pending));
      }
    });
    return done.future();
  }

  /** Counts the calls before their hand-off now, remembering each one seen. */
  private int notePending(Set<String> seen) {
    int pending = 0;
    for (TrackedCall call : calls.values()) {
      if (beforeHandoff(call)) {
        seen.add(call.callId);
        pending++;
      }
    }
    return pending;
  }

  static boolean beforeHandoff(TrackedCall call) {
    return !call.ended && !call.inIvr;
  }
}
