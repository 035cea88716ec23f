package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.ariHangupOn;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_EVENTS;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_GET;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_LIST;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_CANCEL;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.OwnerRequest;
import dev.contactcenter.calls.CallRequest;
import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;
import java.util.Map;

/**
 * The calls API after creation (which is {@link CallCreation}): read, list, timeline, hang up. Thin: ask over the
 * event bus, answer.
 */
final class CallsHandler {

  private final EventBus bus;
  private final DeliveryOptions ariDelivery;

  CallsHandler(EventBus bus, CallTimeouts timeouts) {
    this.bus = bus;
    this.ariDelivery = new DeliveryOptions().setSendTimeout(timeouts.originateReplyMs());
  }

  void getCall(RoutingContext rc) {
    bus.<JsonObject>request(CALLS_GET, ownedCall(rc)).onSuccess(reply -> rc.json(reply.body())).onFailure(rc::fail);
  }

  void listEvents(RoutingContext rc) {
    bus.<JsonObject>request(CALLS_EVENTS, ownedCall(rc)).onSuccess(reply -> rc.json(reply.body())).onFailure(rc::fail);
  }

  void listCalls(RoutingContext rc) {
    Map<String, RequestParameter> query = UsersHandler.validated(rc).getQuery();
    Caller caller = Caller.of(rc);
    JsonObject request = new JsonObject().put("owner", caller.username()).put("admin", caller.admin())
        .put("limit", query.containsKey("limit") && !query.get("limit").isNull() ? query.get("limit").getInteger() : 20);
    String phone = stringParam(query, "phone_number");
    if (phone != null) {
      String normalized = CallRequest.normalizeNumber(phone);
      if (normalized == null) {
        Problems.send(rc, 400, "invalid phone_number filter", Problems.fieldErrors("phone_number", "must be E.164"));
        return;
      }
      request.put("phone_number", normalized);
    }
    request.put("status", stringParam(query, "status"))
        .put("created_after", stringParam(query, "created_after"))
        .put("created_before", stringParam(query, "created_before"))
        .put("server", stringParam(query, "server"))
        .put("cursor", stringParam(query, "cursor"));
    bus.<JsonObject>request(CALLS_LIST, request).onSuccess(reply -> rc.json(reply.body())).onFailure(rc::fail);
  }

  /** {@code POST /api/v2/calls/{id}/hangup}: 202 with the call as it was; the final state follows from events. */
  void hangup(RoutingContext rc) {
    bus.<JsonObject>request(CALLS_GET, ownedCall(rc)).map(Message::body).compose(call -> {
      if (!call.getBoolean("is_active")) {
        return Future.failedFuture(BusError.CONFLICT.exception(
            "call " + call.getString("call_id") + " already ended (" + call.getString("status") + ")"));
      }
      if ("queued".equals(call.getString("status")) || "pending".equals(call.getString("status"))) {
        return cancelUnsent(rc.vertx(), call);
      }
      return hangUpLive(rc.vertx(), call);
    }).onSuccess(call -> rc.response().setStatusCode(202).putHeader("Content-Type", "application/json").end(call.encode()))
        .onFailure(rc::fail);
  }

  /**
   * A call its dispatcher has not sent (queued, or taken off the queue and waiting for its slot) is canceled in the
   * database and never dialled; any other is hung up in Asterisk.
   */
  private Future<JsonObject> cancelUnsent(Vertx vertx, JsonObject call) {
    return bus.<JsonObject>request(DISPATCH_CANCEL, new JsonObject().put("call_id", call.getString("call_id")))
        .map(Message::body)
        .compose(result -> result.getBoolean("canceled")
            ? Future.succeededFuture(result.getJsonObject("call"))
            : hangUpLive(vertx, call));
  }

  private Future<JsonObject> hangUpLive(Vertx vertx, JsonObject call) {
    // The call's server's owner hangs it up, wherever it runs, riding over a takeover's or hand-over's gap as an
    // originate does; with no owner after that, 503 + Retry-After.
    return OwnerRequest.<JsonObject>request(vertx, ariHangupOn(call.getString("server")), new JsonObject()
            .put("call_id", call.getString("call_id")), ariDelivery, CallCreation.HANDOVER_RETRY_MS,
            CallCreation.HANDOVER_STEP_MS)
        .map(reply -> reply.body().getJsonObject("call", call));
  }

  private static JsonObject ownedCall(RoutingContext rc) {
    Caller caller = Caller.of(rc);
    String callId = UsersHandler.validated(rc).getPathParameters().get("call_id").getString();
    return new JsonObject().put("call_id", callId).put("owner", caller.username()).put("admin", caller.admin());
  }

  private static String stringParam(Map<String, RequestParameter> query, String name) {
    RequestParameter p = query.get(name);
    return p == null || p.isNull() ? null : p.getString();
  }
}
