package dev.contactcenter.bus;

import dev.contactcenter.calls.CallState;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Request on {@code db.calls.transition}: move a call to {@code status} at {@code at} (the moment it happened,
 * from the ARI event when there is one). Reply {@code {"applied": bool, "call": {...}}}; {@code applied} is false
 * when the database guard refused a stale, duplicate or out-of-order transition.
 *
 * <p>A terminal transition carries what is known of the call ({@code answered_at}), so it applies with the right
 * duration even when an intermediate transition was never stored. {@code end_time_approximate} says that {@code at}
 * is a bound (the last moment the call was known alive), not an observed end.
 */
public record TransitionCommand(String callId, CallState status, Instant at, String source, String failureReason,
    Integer hangupCause, String hangupCauseText, String channel, Instant answeredAt, boolean endTimeApproximate) {

  public static TransitionCommand of(String callId, CallState status, Instant at, String source) {
    return new TransitionCommand(callId, status, at, source, null, null, null, null, null, false);
  }

  public TransitionCommand withFailure(String reason) {
    return new TransitionCommand(callId, status, at, source, reason, hangupCause, hangupCauseText, channel, answeredAt,
        endTimeApproximate);
  }

  public TransitionCommand withCause(Integer cause, String causeText) {
    return new TransitionCommand(callId, status, at, source, failureReason, cause, causeText, channel, answeredAt,
        endTimeApproximate);
  }

  public TransitionCommand withChannel(String channelId) {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channelId,
        answeredAt, endTimeApproximate);
  }

  public TransitionCommand withAnsweredAt(Instant answered) {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channel,
        answered, endTimeApproximate);
  }

  public TransitionCommand approximateEnd() {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channel,
        answeredAt, true);
  }

  public JsonObject toJson() {
    return new JsonObject().put("call_id", callId).put("status", status.value()).put("at", at.toString())
        .put("source", source).put("failure_reason", failureReason).put("hangup_cause", hangupCause)
        .put("hangup_cause_text", hangupCauseText).put("channel", channel)
        .put("answered_at", answeredAt == null ? null : answeredAt.toString())
        .put("end_time_approximate", endTimeApproximate);
  }
}
