package dev.contactcenter.sandbox;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Responses in ARI's shapes: JSON bodies, {@code {"message":…}} for errors, 204 without a body. */
final class AriResponses {

  private AriResponses() {
  }

  static void json(RoutingContext ctx, int status, Object body) {
    text(ctx, status, Json.encode(body));
  }

  /** A body already written as JSON text. */
  static void text(RoutingContext ctx, int status, String json) {
    ctx.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(json);
  }

  static void error(RoutingContext ctx, int status, String message) {
    json(ctx, status, new JsonObject().put("message", message));
  }

  /** What Asterisk answers when a channel cannot be created, e.g. for a driver that is not loaded. */
  static void allocationFailed(RoutingContext ctx) {
    json(ctx, 500, new JsonObject().put("error", "Allocation failed"));
  }

  static void noContent(RoutingContext ctx) {
    ctx.response().setStatusCode(204).end();
  }
}
