package dev.contactcenter.ari;

import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;

/**
 * Ends an active call whose channel Asterisk no longer has and whose end was not observed: with what is known of
 * it, its end time the last moment it was known alive, marked approximate.
 */
final class GoneCallSettler {

  private final Vertx vertx;
  private final Map<String, TrackedCall> calls;
  private final TransitionRecorder recorder;
  private final CallTimeouts timeouts;

  GoneCallSettler(Vertx vertx, Map<String, TrackedCall> calls, TransitionRecorder recorder, CallTimeouts timeouts) {
    this.vertx = vertx;
    this.calls = calls;
    this.recorder = recorder;
    this.timeouts = timeouts;
  }

  /** A call this instance does not follow: nothing of it can still be on its way, settle it now. */
  void settleUnfollowed(JsonObject row, Instant lostAt) {
    settleNow(row, null, lastKnownAlive(row, null, lostAt));
  }

  /**
   * A call we follow whose channel Asterisk no longer lists. Its ChannelDestroyed may still be on its way: Asterisk
   * answers the channel list ahead of the events it has queued on our socket (seen under load: a call that had just
   * answered and ended was settled as failed before its answer and end were read). Settle it only if no end has been
   * seen within the grace period, as after a dropped connection that lost the events.
   */
  void settleUnlessEnded(JsonObject row, TrackedCall call, Instant lostAt) {
    Instant aliveUntil = lastKnownAlive(row, call, lostAt);
    vertx.setTimer(timeouts.settleGraceMs(), id -> {
      if (!call.ended && calls.get(call.callId) == call) {
        settleNow(row, call, aliveUntil);
      }
    });
  }

  /**
   * The last moment the call is known to have been alive: when the event stream was lost (nothing said it ended
   * before), else the time of its last event stored. Not when that was stored ({@code updated_at}): under load, or
   * after a database outage, a write lands seconds after its event, and a bound taken from it made a 2 s call
   * 15 s long. Never before its answer.
   */
  private static Instant lastKnownAlive(JsonObject row, TrackedCall known, Instant lostAt) {
    Instant bound = lostAt != null && known != null ? lostAt : lastEventAt(row);
    String answered = row.getString("answered_at");
    Instant answeredAt = known != null && known.answeredAt != null ? known.answeredAt
        : answered == null ? null : Instant.parse(answered);
    return answeredAt != null && answeredAt.isAfter(bound) ? answeredAt : bound;
  }

  /** The latest of the call's stored event times (created, dialled, ringing, answered). */
  private static Instant lastEventAt(JsonObject row) {
    Instant last = Instant.parse(row.getString("created_at"));
    for (String field : new String[] {"dialed_at", "ringing_at", "answered_at"}) {
      String at = row.getString(field);
      if (at != null && Instant.parse(at).isAfter(last)) {
        last = Instant.parse(at);
      }
    }
    return last;
  }

  /** The channel is gone and its end was not observed: end the call with what is known, its end time a bound. */
  private void settleNow(JsonObject row, TrackedCall known, Instant aliveUntil) {
    String callId = row.getString("call_id");
    CallState status = CallState.of(row.getString("status"));
    String storedAnswer = row.getString("answered_at");
    Instant answeredAt = known != null && known.answeredAt != null ? known.answeredAt
        : storedAnswer == null ? null : Instant.parse(storedAnswer);
    TransitionCommand end = answeredAt != null
        ? TransitionCommand.of(callId, CallState.COMPLETED, aliveUntil, Reconciler.SOURCE).withAnsweredAt(answeredAt)
            .withFailure("end time approximate: the call ended while the service was not receiving Asterisk events")
        : TransitionCommand.of(callId, CallState.FAILED, aliveUntil, Reconciler.SOURCE).withFailure(
            status == CallState.PENDING
                ? "the service stopped before the call was placed"
                : "outcome unknown: the call ended while the service was not receiving Asterisk events");
    end = end.approximateEnd();
    if (known != null) {
      known.queued(end.status());
      known.ended = true;
    }
    recorder.record(end).onComplete(done -> {
      if (known != null) {
        calls.remove(callId, known);
      }
    });
  }
}
