package dev.contactcenter.bus;

import io.vertx.core.json.JsonObject;

/**
 * Request on {@code ari.calls.originate}: place the stored call {@code call_id}. The reply is
 * {@code {"status": "dialing"|"failed", "channel", "http_status" (on failure: 502 refused, 503 unreachable),
 * "reason", "call": {...}}}; the ARI verticle records the resulting state itself before replying.
 */
public record OriginateCommand(String callId, String phoneNumber, String context, String extension, int priority,
    int timeoutMs, String callerId, JsonObject variables) {

  public JsonObject toJson() {
    return new JsonObject().put("call_id", callId).put("phone_number", phoneNumber).put("context", context)
        .put("extension", extension).put("priority", priority).put("timeout", timeoutMs).put("caller_id", callerId)
        .put("variables", variables);
  }

  public static OriginateCommand fromJson(JsonObject json) {
    return new OriginateCommand(json.getString("call_id"), json.getString("phone_number"), json.getString("context"),
        json.getString("extension"), json.getInteger("priority"), json.getInteger("timeout"),
        json.getString("caller_id"), json.getJsonObject("variables", new JsonObject()));
  }
}
