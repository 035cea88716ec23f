package dev.contactcenter.bus;

import io.vertx.core.json.JsonObject;

/**
 * Shape of a call transition publication on {@code calls.status.all} and {@code calls.status.owner.<owner>}.
 * Plain JSON (snake_case, ISO-8601 UTC times) so any event-bus client, the browser bridge included, reads it:
 * <pre>
 * {"call_id", "owner", "phone_number", "status", "previous_status", "at",
 *  "created_at", "dialed_at", "ringing_at", "answered_at", "ended_at",
 *  "duration", "failure_reason", "hangup_cause", "hangup_cause_text"}
 * </pre>
 */
public final class CallStatusChanged {

  private CallStatusChanged() {
  }

  /** Builds the publication from a call as returned by the persistence layer (API field names). */
  public static JsonObject of(JsonObject call, String previousStatus, String at) {
    return new JsonObject()
        .put("call_id", call.getString("call_id"))
        .put("owner", call.getString("owner"))
        .put("phone_number", call.getString("phone_number"))
        .put("status", call.getString("status"))
        .put("previous_status", previousStatus)
        .put("at", at)
        .put("created_at", call.getString("created_at"))
        .put("dialed_at", call.getString("dialed_at"))
        .put("ringing_at", call.getString("ringing_at"))
        .put("answered_at", call.getString("answered_at"))
        .put("ended_at", call.getString("ended_at"))
        .put("duration", call.getInteger("duration"))
        .put("failure_reason", call.getString("failure_reason"))
        .put("hangup_cause", call.getInteger("hangup_cause"))
        .put("hangup_cause_text", call.getString("hangup_cause_text"));
  }
}
