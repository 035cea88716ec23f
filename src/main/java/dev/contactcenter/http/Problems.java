package dev.contactcenter.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes RFC 9457 {@code application/problem+json} responses; every error of the API leaves through here. */
public final class Problems {

  public static final String CONTENT_TYPE = "application/problem+json";
  /**
   * Retry-After of a 503 (openapi.yaml requires it): the ARI events socket retries at least this often, so by then
   * a reconnect has been attempted.
   */
  static final String UNAVAILABLE_RETRY_AFTER_SECONDS = "10";
  /** Retry-After of a 503 for a busy database pool: a burst drains in seconds. */
  static final String BUSY_RETRY_AFTER_SECONDS = "1";
  private static final String TYPE_PREFIX = "urn:contact-center-api:problem:";

  private Problems() {
  }

  public static void send(RoutingContext rc, int status, String detail) {
    send(rc, status, detail, null);
  }

  /** Sends a problem; {@code extra} members (e.g. {@code errors}, {@code call_id}) are added to the body. */
  public static void send(RoutingContext rc, int status, String detail, JsonObject extra) {
    HttpServerResponse response = rc.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.end();
      return;
    }
    JsonObject body = body(status, detail, rc.request().path(), RequestIds.of(rc));
    if (extra != null) {
      body.mergeIn(extra);
    }
    if (status == 503 && !response.headers().contains("Retry-After")) {
      response.putHeader("Retry-After", UNAVAILABLE_RETRY_AFTER_SECONDS);
    }
    response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(body.encode());
  }

  /** The problem document itself; {@code instance} is the request path, capped so a huge path is not echoed whole. */
  static JsonObject body(int status, String detail, String instance, String requestId) {
    String path = instance == null ? "" : instance.length() > 256 ? instance.substring(0, 256) : instance;
    return new JsonObject()
        .put("type", TYPE_PREFIX + slug(status))
        .put("title", title(status))
        .put("status", status)
        .put("detail", detail == null || detail.isBlank() ? title(status) : detail)
        .put("instance", path)
        .put("request_id", requestId);
  }

  public static JsonObject fieldErrors(String field, String message) {
    return new JsonObject().put("errors", new JsonArray().add(new JsonObject().put("field", field).put("message", message)));
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "Invalid request";
      case 401 -> "Authentication required";
      case 403 -> "Forbidden";
      case 404 -> "Not found";
      case 405 -> "Method not allowed";
      case 409 -> "Conflict";
      case 413 -> "Request body too large";
      case 411 -> "Length required";
      case 414 -> "Request target too long";
      case 415 -> "Unsupported media type";
      case 431 -> "Request headers too large";
      case 422 -> "Unprocessable request";
      case 429 -> "Too many requests";
      case 501 -> "Not implemented";
      case 502 -> "Upstream refused the request";
      case 503 -> "Service unavailable";
      default -> HttpResponseStatus.valueOf(status).reasonPhrase();
    };
  }

  private static String slug(int status) {
    return switch (status) {
      case 400 -> "invalid-request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not-found";
      case 405 -> "method-not-allowed";
      case 409 -> "conflict";
      case 413 -> "payload-too-large";
      case 411 -> "length-required";
      case 414 -> "uri-too-long";
      case 415 -> "unsupported-media-type";
      case 431 -> "headers-too-large";
      case 422 -> "unprocessable";
      case 429 -> "rate-limited";
      case 501 -> "not-implemented";
      case 502 -> "upstream-refused";
      case 503 -> "unavailable";
      default -> "http-" + status;
    };
  }
}
