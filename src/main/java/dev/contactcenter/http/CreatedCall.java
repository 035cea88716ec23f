package dev.contactcenter.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** How a created (or replayed) call is answered, whichever path found it. */
final class CreatedCall {

  /** The message of a retry answered with the call an earlier request with its Idempotency-Key made. */
  static final String REPLAYED = "Call already initiated for this Idempotency-Key";

  private CreatedCall() {
  }

  /**
   * The answer to a call request that made a call (or found the one an earlier request made): 201 with Location
   * ({@code POST /calls}) or 200 (the seed's endpoint), the call's id, status and, for a queued call, its place.
   */
  static void respond(RoutingContext rc, JsonObject call, int status, String message) {
    JsonObject body = new JsonObject()
        .put("success", !"failed".equals(call.getString("status")))
        .put("call_id", call.getString("call_id"))
        .put("phone_number", call.getString("phone_number"))
        .put("message", message)
        .put("channel", call.getString("channel"))
        .put("status", call.getString("status"))
        .put("created_at", call.getString("created_at"));
    if ("queued".equals(call.getString("status"))) {
      body.put("queue_position", call.getLong("queue_position")).put("not_before", call.getString("not_before"));
      if (call.getString("estimated_start_at") != null) {
        body.put("estimated_start_at", call.getString("estimated_start_at"));
      }
    }
    if (status == 201) {
      rc.response().putHeader("Location", "/api/v2/calls/" + call.getString("call_id"));
    }
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
