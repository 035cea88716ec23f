package dev.contactcenter.bus;

import dev.contactcenter.calls.CallState;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Request on {@code db.calls.transition}: move a call to {@code status} at {@code at} (the moment it happened,
 * from the ARI event when there is one). Reply {@code {"applied": bool, "call": {...}}}; {@code applied} is false
 * when the database guard refused a stale, duplicate or out-of-order transition.
 */
public record TransitionCommand(String callId, CallState status, Instant at, String source, String failureReason,
    Integer hangupCause, String hangupCauseText, String channel) {

  public static TransitionCommand of(String callId, CallState status, Instant at, String source) {
    return new TransitionCommand(callId, status, at, source, null, null, null, null);
  }

  public TransitionCommand withFailure(String reason) {
    return new TransitionCommand(callId, status, at, source, reason, hangupCause, hangupCauseText, channel);
  }

  public TransitionCommand withCause(Integer cause, String causeText) {
    return new TransitionCommand(callId, status, at, source, failureReason, cause, causeText, channel);
  }

  public TransitionCommand withChannel(String channelId) {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channelId);
  }

  public JsonObject toJson() {
    return new JsonObject().put("call_id", callId).put("status", status.value()).put("at", at.toString())
        .put("source", source).put("failure_reason", failureReason).put("hangup_cause", hangupCause)
        .put("hangup_cause_text", hangupCauseText).put("channel", channel);
  }
}
