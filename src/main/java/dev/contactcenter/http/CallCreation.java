package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.ariOriginateOn;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;

import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.OriginateCommand;
import dev.contactcenter.bus.OwnerRequest;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallRequest;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.CallTimeouts;
import dev.contactcenter.calls.InvalidCallRequest;
import dev.contactcenter.cluster.ServerDirectory;
import dev.contactcenter.dispatch.Admission;
import dev.contactcenter.dispatch.RetryPolicy;
import dev.contactcenter.webhooks.Subscriptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creating a call ({@code POST /api/v2/calls} and the seed's {@code POST /api/v2/interaction/{number}}): validate,
 * store it, hand it to its server's owner, answer with what became of it.
 */
final class CallCreation {

  private static final Logger LOG = LoggerFactory.getLogger(CallCreation.class);

  /** Timeline source of what the API itself records about a call. */
  private static final String SOURCE = "api";
  /** How long a call waits for its server's new owner to register after a takeover, and how often it asks. */
  static final long HANDOVER_RETRY_MS = 3000;
  static final long HANDOVER_STEP_MS = 200;

  private final EventBus bus;
  private final CallLimits limits;
  private final CallRequest.Defaults defaults;
  private final boolean simulated;
  private final DeliveryOptions ariDelivery;
  private final Subscriptions subscriptions;
  private final Supplier<ServerDirectory> servers;
  private final Admission admission;
  private final IdempotentReplays replays;

  CallCreation(EventBus bus, CallRequest.Defaults defaults, boolean simulated, CallTimeouts timeouts,
      Subscriptions subscriptions, CallLimits limits, Supplier<ServerDirectory> servers, Admission admission) {
    this.bus = bus;
    this.servers = servers;
    this.admission = admission;
    this.replays = new IdempotentReplays(bus, this::withEstimate);
    this.subscriptions = subscriptions;
    this.limits = limits;
    this.defaults = defaults;
    this.simulated = simulated;
    // The ARI verticle answers after one ARI request, before this; it alone records what became of the call.
    this.ariDelivery = new DeliveryOptions().setSendTimeout(timeouts.originateReplyMs());
  }

  /** {@code POST /api/v2/interaction/{number}}: the seed's endpoint, answers 200. */
  void createInteraction(RoutingContext rc) {
    ValidatedRequest request = UsersHandler.validated(rc);
    String number = request.getPathParameters().get("number").getString();
    originate(rc, number, "number", bodyOrNull(request), 200);
  }

  /** {@code POST /api/v2/calls}: answers 201 with Location. */
  void createCall(RoutingContext rc) {
    ValidatedRequest request = UsersHandler.validated(rc);
    JsonObject body = bodyOrNull(request);
    Object number = body == null ? null : body.getValue("phone_number");
    originate(rc, number instanceof String s ? s : null, "phone_number", body, 201);
  }

  private void originate(RoutingContext rc, String number, String numberField, JsonObject options, int successStatus) {
    CallRequest call;
    String callback = options == null ? null : options.getString("status_callback");
    JsonArray callbackEvents;
    JsonObject dispatch;
    try {
      JsonObject callOptions = options == null ? null : options.copy();
      if (callOptions != null) {
        callOptions.remove("phone_number");
      }
      dispatch = dispatchOptions(options);
      call = CallRequest.from(number, numberField, callOptions, defaults);
      callbackEvents = callback == null ? null
          : Subscriptions.events(options.getJsonArray("status_callback_events"), "status_callback_events");
    } catch (InvalidCallRequest invalid) {
      Problems.send(rc, 400, "invalid call request", new JsonObject().put("errors", invalid.errors()));
      return;
    } catch (Subscriptions.Invalid invalid) {
      WebhooksHandler.badRequest(rc, invalid);
      return;
    } catch (RetryPolicy.Invalid invalid) {
      Problems.send(rc, 400, "invalid call request", Problems.fieldErrors("retry." + invalid.field(),
          invalid.getMessage()));
      return;
    }
    Caller caller = Caller.of(rc);
    JsonObject stated = statedDispatch(options);
    if (callback == null) {
      store(rc, call, caller, null, null, dispatch, stated, successStatus);
      return;
    }
    subscriptions.prepareCallback(caller.username(), callback)
        .onSuccess(ready -> store(rc, call, caller, callback, callbackEvents, dispatch, stated, successStatus))
        .onFailure(failure -> WebhooksHandler.fail(rc, failure));
  }

  /**
   * The dispatch options as the request states them, for the idempotency fingerprint; null when it states none, so a
   * request without them keeps the fingerprint it had before dispatch options existed.
   */
  private static JsonObject statedDispatch(JsonObject options) {
    if (options == null || !(options.containsKey("retry") || options.containsKey("max_queue_seconds"))) {
      return null;
    }
    return new JsonObject().put("retry", options.getValue("retry"))
        .put("max_queue_seconds", options.getValue("max_queue_seconds"));
  }

  /** The request's retry policy over the configured one, and its queue time over the server's default. */
  private JsonObject dispatchOptions(JsonObject options) {
    Object retry = options == null ? null : options.getValue("retry");
    if (retry != null && !(retry instanceof JsonObject)) {
      throw new RetryPolicy.Invalid("retry", "must be an object {max_attempts, on, delay_seconds}");
    }
    RetryPolicy policy = admission.retryDefaults().overriddenBy((JsonObject) retry);
    Integer maxQueue = options == null ? null : options.getInteger("max_queue_seconds");
    return new JsonObject().put("retry", policy.toJson()).put("max_queue_seconds", maxQueue);
  }

  /** A queued call with its place known gets the moment it is expected to be dialled, when that can be told. */
  private JsonObject withEstimate(JsonObject call) {
    Long position = call.getLong("queue_position");
    if ("queued".equals(call.getString("status")) && position != null) {
      estimatedStart(call.getString("server"), position, call.getString("not_before"))
          .ifPresent(at -> call.put("estimated_start_at", at.toString()));
    }
    return call;
  }

  /**
   * When a queued call is expected to be dialled: one slot of the server's rate per call ahead of it (never before its
   * not_before); unknown without a rate limit.
   */
  private Optional<Instant> estimatedStart(String server, long position, String notBefore) {
    int rate = admission.limits(server).maxCallsPerSecond();
    if (rate == 0) {
      return Optional.empty();
    }
    Instant byRate = Instant.now().plusMillis(position * 1_000L / rate).truncatedTo(ChronoUnit.MILLIS);
    Instant earliest = notBefore == null ? byRate : Instant.parse(notBefore);
    return Optional.of(byRate.isAfter(earliest) ? byRate : earliest);
  }

  /** Stores the call (with its status callback, if any), then hands it to the ARI verticle. */
  private void store(RoutingContext rc, CallRequest call, Caller caller, String callback, JsonArray callbackEvents,
      JsonObject dispatch, JsonObject statedDispatch, int successStatus) {
    String callId = UUID.randomUUID().toString();
    String idempotencyKey = rc.request().getHeader("Idempotency-Key");
    JsonObject row = new JsonObject()
        .put("call_id", callId).put("owner", caller.username()).put("phone_number", call.phoneNumber())
        .put("context", call.context()).put("extension", call.extension()).put("priority", call.priority())
        .put("timeout", call.timeoutMs()).put("caller_id", call.callerId()).put("variables", call.variablesJson())
        .put("idempotency_key", idempotencyKey)
        // Only a retry with the same key compares fingerprints: without a key, skip the SHA-256.
        .put("request_hash", idempotencyKey == null ? null
            : Subscriptions.fingerprint(call.fingerprint(statedDispatch), callback, callbackEvents))
        .put("status_callback", callback).put("status_callback_events", callbackEvents)
        .mergeIn(dispatch);

    JsonObject rateRefusal = limits.rateRefusal(caller.username());
    if (rateRefusal != null) {
      replays.orElse(rc, row, successStatus, () -> CallLimits.refuse(rc, rateRefusal));
      return;
    }
    onServer(rc, call, callId, row.put("limits", limits.databaseDefaults()), successStatus);
  }

  /**
   * Chooses the call's server. With no server owned by a live node, 503 + Retry-After and nothing stored: no call
   * was attempted, so the client's retry is the whole remedy, and a stored failed call would only count against its
   * limits. Over the server's capacity the call is stored queued and the server's dispatcher dials it later.
   */
  private void onServer(RoutingContext rc, CallRequest call, String callId, JsonObject row, int successStatus) {
    ServerDirectory directory = servers.get();
    Optional<String> chosen = directory == null ? Optional.empty() : directory.choose();
    if (chosen.isEmpty()) {
      replays.orElse(rc, row, successStatus, () -> Problems.send(rc, 503,
          "no Asterisk server has a connected owner right now; the call was not stored, retry shortly"));
      return;
    }
    String server = chosen.get();
    row.put("server", server)
        .put("max_queue_seconds", admission.maxQueueSeconds(server, row.getInteger("max_queue_seconds")));
    admission.dialNow(server).onSuccess(now -> store(rc, call, callId, row.put("status", now ? "pending" : "queued"),
        successStatus));
  }

  /** Stores the call on its server, then asks that server's owner (on whichever node) to place it. */
  private void store(RoutingContext rc, CallRequest call, String callId, JsonObject row, int successStatus) {
    String server = row.getString("server");
    bus.<JsonObject>request(CALLS_CREATE, row, LocalCodec.LOCAL_JSON).map(Message::body).onSuccess(created -> {
      JsonObject refused = created.getJsonObject("refused");
      if (refused != null) {
        CallLimits.refuse(rc, refused);
        return;
      }
      JsonObject stored = created.getJsonObject("call");
      if (!created.getBoolean("created")) {
        // A retry with the same Idempotency-Key: the first call, never a second dial.
        CreatedCall.respond(rc, withEstimate(stored), successStatus, CreatedCall.REPLAYED);
        return;
      }
      if ("queued".equals(stored.getString("status"))) {
        admission.queued(stored.getString("server"));
        stored.put("queue_position", created.getLong("queue_position"));
        CreatedCall.respond(rc, withEstimate(stored), successStatus,
            "Call queued: the Asterisk server is at its limit; it is dialled when capacity frees up");
        return;
      }
      OriginateCommand command = new OriginateCommand(callId, call.phoneNumber(), call.context(), call.extension(),
          call.priority(), call.timeoutMs(), call.callerId(), call.variablesJson());
      String on = stored.getString("server", server);
      // Sent again for a moment while nobody handles the address (a takeover in progress), never after delivery.
      OwnerRequest.<JsonObject>request(rc.vertx(), ariOriginateOn(on), command.toJson(), ariDelivery,
              HANDOVER_RETRY_MS, HANDOVER_STEP_MS).map(Message::body)
          .onSuccess(outcome -> {
            JsonObject current = stored.mergeIn(outcome.getJsonObject("call", new JsonObject()));
            if ("failed".equals(outcome.getString("status"))) {
              int status = outcome.getInteger("http_status", 502);
              Problems.send(rc, status, outcome.getString("reason"), new JsonObject().put("call_id", callId));
              return;
            }
            CreatedCall.respond(rc, current, successStatus, simulated
                ? "Call initiated (SIMULATED: built-in sandbox, no real phone call is placed)" : "Call initiated");
          })
          .onFailure(failure -> {
            if (OwnerRequest.notActedOn(failure)) {
              failNotTaken(rc, callId, on);
            } else {
              failUnreachable(rc, callId, failure);
            }
          });
    }).onFailure(rc::fail);
  }

  /**
   * The ARI component did not answer. It alone decides the call's fate (it may have placed it): this side records
   * nothing, and reconciliation fails a call that stays pending with no channel.
   */
  private void failUnreachable(RoutingContext rc, String callId, Throwable failure) {
    RequestIds.error(rc, LOG, "Originate of call {} got no answer: {}", callId, failure.toString());
    Problems.send(rc, 503, "the Asterisk component did not answer; GET the call for its outcome",
        new JsonObject().put("call_id", callId));
  }

  /**
   * Nobody took the originate in the whole re-send window: no node handled the server's address, or its owner kept
   * refusing it while handing the server over. Nobody dialled, so, as when Asterisk is unreachable, the call is stored
   * failed at once and the client may retry shortly (a new call, or the same request with a new Idempotency-Key).
   */
  private void failNotTaken(RoutingContext rc, String callId, String server) {
    String reason = "no node took the calls of Asterisk server " + server + " within " + HANDOVER_RETRY_MS / 1000
        + " s; the call was not placed";
    RequestIds.warn(rc, LOG, "Call {} failed: {}", callId, reason);
    TransitionCommand failed = TransitionCommand.of(callId, CallState.FAILED, Instant.now(), SOURCE)
        .withFailure(reason);
    bus.request(CALLS_TRANSITION, failed.toJson()).onComplete(stored -> Problems.send(rc, 503,
        reason + "; retry shortly", new JsonObject().put("call_id", callId)));
  }

  private static JsonObject bodyOrNull(ValidatedRequest request) {
    RequestParameter body = request.getBody();
    return body == null || body.isNull() || body.isEmpty() ? null : body.getJsonObject();
  }
}
