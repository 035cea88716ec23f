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
 * is a bound (the last moment the call was known alive), not an observed end. {@code server} and {@code ownerEpoch}
 * name the writer's ownership (null: not fenced); the database refuses a superseded epoch.
 *
 * <p>The ARI side sends it as an object ({@link LocalCodec}, local-only) and gets a {@link TransitionOutcome}; a
 * request sent as {@link #toJson()} is answered in JSON, {@code {"applied", "call"}}.
 */
public record TransitionCommand(String callId, CallState status, Instant at, String source, String failureReason,
    Integer hangupCause, String hangupCauseText, String channel, Instant answeredAt, boolean endTimeApproximate,
    String server, Long ownerEpoch) {

  public static TransitionCommand of(String callId, CallState status, Instant at, String source) {
    return new TransitionCommand(callId, status, at, source, null, null, null, null, null, false, null, null);
  }

  public TransitionCommand withFailure(String reason) {
    return new TransitionCommand(callId, status, at, source, reason, hangupCause, hangupCauseText, channel, answeredAt,
        endTimeApproximate, server, ownerEpoch);
  }

  public TransitionCommand withCause(Integer cause, String causeText) {
    return new TransitionCommand(callId, status, at, source, failureReason, cause, causeText, channel, answeredAt,
        endTimeApproximate, server, ownerEpoch);
  }

  public TransitionCommand withChannel(String channelId) {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channelId,
        answeredAt, endTimeApproximate, server, ownerEpoch);
  }

  public TransitionCommand withAnsweredAt(Instant answered) {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channel,
        answered, endTimeApproximate, server, ownerEpoch);
  }

  public TransitionCommand approximateEnd() {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channel,
        answeredAt, true, server, ownerEpoch);
  }

  /** Written by the owner of {@code server} under {@code epoch} (0: no owner's write, never fenced). */
  public TransitionCommand ownedBy(String serverName, long epoch) {
    return new TransitionCommand(callId, status, at, source, failureReason, hangupCause, hangupCauseText, channel,
        answeredAt, endTimeApproximate, serverName, epoch > 0 ? epoch : null);
  }

  public JsonObject toJson() {
    return new JsonObject().put("call_id", callId).put("status", status.value()).put("at", at.toString())
        .put("source", source).put("failure_reason", failureReason).put("hangup_cause", hangupCause)
        .put("hangup_cause_text", hangupCauseText).put("channel", channel)
        .put("answered_at", answeredAt == null ? null : answeredAt.toString())
        .put("end_time_approximate", endTimeApproximate).put("server", server).put("owner_epoch", ownerEpoch);
  }
}
