package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_CALL_DELIVERIES;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_DELETE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_DELIVERIES;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_GET;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_LIST;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_RETRY;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_ROTATE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_UPDATE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_USER_SECRET;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_USER_SECRET_ROTATE;

import dev.contactcenter.webhooks.Subscriptions;
import dev.contactcenter.webhooks.WebhookSignature;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;

/**
 * The webhooks API: per-user endpoints (create, list, read, delete, rotate the secret), their delivery logs and
 * manual retries, a call's deliveries, and the user's signing secret for per-call callbacks. Another user's
 * endpoint or call is a 404, as if it did not exist; admins see every one.
 */
final class WebhooksHandler {

  private final EventBus bus;
  private final Subscriptions subscriptions;

  WebhooksHandler(EventBus bus, Subscriptions subscriptions) {
    this.bus = bus;
    this.subscriptions = subscriptions;
  }

  /** {@code POST /api/v2/webhooks}: 201 with the endpoint and its secret, shown this once. */
  void create(RoutingContext rc) {
    JsonObject body = UsersHandler.validated(rc).getBody().getJsonObject();
    Caller caller = Caller.of(rc);
    JsonArray events;
    try {
      events = Subscriptions.events(body.getJsonArray("events"), "events");
    } catch (Subscriptions.Invalid invalid) {
      badRequest(rc, invalid);
      return;
    }
    subscriptions.checkUrl(body.getString("url"), "url")
        .compose(url -> bus.<JsonObject>request(WEBHOOKS_CREATE, new JsonObject()
            .put("owner", caller.username()).put("url", url).put("events", events)
            .put("enabled", body.getBoolean("enabled", true)).put("description", body.getString("description"))
            .put("secret", WebhookSignature.newSecret())))
        .map(Message::body)
        .onSuccess(endpoint -> rc.response().setStatusCode(201)
            .putHeader("Location", "/api/v2/webhooks/" + endpoint.getString("id"))
            .putHeader("Content-Type", "application/json").end(endpoint.encode()))
        .onFailure(failure -> fail(rc, failure));
  }

  /** {@code PATCH /api/v2/webhooks/{id}}: the fields given; a new URL is checked like at creation. */
  void update(RoutingContext rc) {
    JsonObject body = UsersHandler.validated(rc).getBody().getJsonObject();
    JsonObject request = owned(rc);
    try {
      if (body.containsKey("events")) {
        request.put("events", Subscriptions.events(body.getJsonArray("events"), "events"));
      }
    } catch (Subscriptions.Invalid invalid) {
      badRequest(rc, invalid);
      return;
    }
    if (body.containsKey("enabled")) {
      request.put("enabled", body.getBoolean("enabled"));
    }
    if (body.containsKey("description")) {
      request.put("description", body.getString("description"));
    }
    String url = body.getString("url");
    Future<String> checked = url == null ? Future.succeededFuture() : subscriptions.checkUrl(url, "url");
    checked.compose(ok -> bus.<JsonObject>request(WEBHOOKS_UPDATE, request.put("url", url)))
        .onSuccess(reply -> rc.json(reply.body()))
        .onFailure(failure -> fail(rc, failure));
  }

  void list(RoutingContext rc) {
    answer(rc, bus.request(WEBHOOKS_LIST, caller(rc)));
  }

  void get(RoutingContext rc) {
    answer(rc, bus.request(WEBHOOKS_GET, owned(rc)));
  }

  void delete(RoutingContext rc) {
    bus.request(WEBHOOKS_DELETE, owned(rc)).onSuccess(done -> rc.response().setStatusCode(204).end())
        .onFailure(rc::fail);
  }

  /** New secret, shown once; the old one keeps signing during the overlap. */
  void rotate(RoutingContext rc) {
    answer(rc, bus.request(WEBHOOKS_ROTATE, owned(rc).put("secret", WebhookSignature.newSecret())
        .put("overlap_seconds", subscriptions.secretOverlapSeconds())));
  }

  void deliveries(RoutingContext rc) {
    RequestParameter limit = UsersHandler.validated(rc).getQuery().get("limit");
    JsonObject request = owned(rc).put("limit", limit == null || limit.isNull() ? 100 : limit.getInteger());
    answer(rc, bus.request(WEBHOOKS_DELIVERIES, request));
  }

  /** Sends a finished (delivered, dead or canceled) delivery again, with its webhook-id. */
  void retry(RoutingContext rc) {
    JsonObject request = owned(rc)
        .put("delivery_id", UsersHandler.validated(rc).getPathParameters().get("delivery_id").getLong());
    bus.<JsonObject>request(WEBHOOKS_RETRY, request)
        .onSuccess(reply -> rc.response().setStatusCode(202).putHeader("Content-Type", "application/json")
            .end(reply.body().encode()))
        .onFailure(rc::fail);
  }

  void callDeliveries(RoutingContext rc) {
    JsonObject request = caller(rc)
        .put("call_id", UsersHandler.validated(rc).getPathParameters().get("call_id").getString());
    answer(rc, bus.request(WEBHOOKS_CALL_DELIVERIES, request));
  }

  /** The caller's secret for per-call callbacks, created on first use. */
  void signingSecret(RoutingContext rc) {
    answer(rc, bus.request(WEBHOOKS_USER_SECRET, new JsonObject().put("owner", Caller.of(rc).username())
        .put("secret", WebhookSignature.newSecret())));
  }

  void rotateSigningSecret(RoutingContext rc) {
    answer(rc, bus.request(WEBHOOKS_USER_SECRET_ROTATE, new JsonObject().put("owner", Caller.of(rc).username())
        .put("secret", WebhookSignature.newSecret()).put("overlap_seconds", subscriptions.secretOverlapSeconds())));
  }

  private static JsonObject caller(RoutingContext rc) {
    Caller caller = Caller.of(rc);
    return new JsonObject().put("owner", caller.username()).put("admin", caller.admin());
  }

  private static JsonObject owned(RoutingContext rc) {
    return caller(rc).put("id", UsersHandler.validated(rc).getPathParameters().get("webhook_id").getString());
  }

  private static void answer(RoutingContext rc, Future<Message<Object>> reply) {
    reply.onSuccess(message -> rc.json(message.body())).onFailure(rc::fail);
  }

  static void fail(RoutingContext rc, Throwable failure) {
    if (failure instanceof Subscriptions.Invalid invalid) {
      badRequest(rc, invalid);
    } else {
      rc.fail(failure);
    }
  }

  static void badRequest(RoutingContext rc, Subscriptions.Invalid invalid) {
    Problems.send(rc, 400, "invalid " + invalid.field() + ": " + invalid.getMessage(),
        Problems.fieldErrors(invalid.field(), invalid.getMessage()));
  }
}
