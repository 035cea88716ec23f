package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.ARI_HANGUP;
import static dev.contactcenter.bus.EventBusAddresses.ARI_ORIGINATE;
import static dev.contactcenter.bus.EventBusAddresses.ARI_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_ACTIVE;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_GET;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.OriginateCommand;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.metrics.CallMetrics;
import dev.contactcenter.metrics.ServiceMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to Asterisk: originates calls over ARI REST, follows them through the ARI events WebSocket, sends
 * answered calls into their IVR, and records each state change (with the event's own timestamp) through the
 * persistence verticle. On every (re)connect, and every minute, it reconciles the calls the database holds as
 * active with the channels Asterisk really has, so no call stays active after a restart or a lost connection.
 */
public final class AriVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AriVerticle.class);
  private static final long RECONCILE_EVERY_MS = 60_000;
  /**
   * A tracked call whose channel is missing from Asterisk's list while the socket stayed up is settled only if
   * its ChannelDestroyed has not arrived after this long: the list and the event stream are not in lockstep.
   */
  private static final long SETTLE_GRACE_MS = 5_000;
  private static final String SOURCE = "ari";
  private static final String RECONCILER = "reconciler";
  /** The event types {@link #onEvent} acts on; the socket drops the others without parsing them. */
  private static final Set<String> HANDLED_EVENTS = Set.of("ChannelStateChange", "Dial", "StasisStart",
      "ChannelDestroyed");

  private final AriSettings settings;
  private final CallMetrics metrics;
  private final Map<String, TrackedCall> calls = new HashMap<>();
  private AriClient ari;
  private AriEventSocket socket;
  private EventBus bus;
  private boolean reconciling;
  /** When the events socket was last lost: the best known end time of calls that ended unobserved. */
  private Instant disconnectedAt;
  private final long startedAtMillis = System.currentTimeMillis();
  private long reconcileTimer;

  public AriVerticle(AriSettings settings) {
    this(settings, ServiceMetrics.disabled().calls());
  }

  public AriVerticle(AriSettings settings, CallMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    bus = vertx.eventBus();
    ari = new AriClient(vertx, settings);
    socket = new AriEventSocket(vertx, settings, HANDLED_EVENTS, this::onEvent, () -> {
      metrics.ariConnected(true);
      reconcile(true);
    }, () -> {
      metrics.ariConnected(false);
      disconnectedAt = Instant.now();
    });
    List<MessageConsumer<JsonObject>> consumers = List.of(
        bus.consumer(ARI_ORIGINATE, this::originate),
        bus.consumer(ARI_HANGUP, this::hangup),
        bus.consumer(ARI_STATUS, this::status));
    reconcileTimer = vertx.setPeriodic(RECONCILE_EVERY_MS, id -> {
      if (socket.connected()) {
        reconcile(false);
      }
    });
    // Asterisk may be down at start: the service still starts, health says so, and the socket keeps retrying.
    socket.start();
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  @Override
  public Future<?> stop() {
    metrics.ariConnected(false);
    vertx.cancelTimer(reconcileTimer);
    return socket.close().onComplete(done -> ari.close());
  }

  private void status(Message<JsonObject> msg) {
    boolean connected = socket.connected();
    String detail = settings.simulated()
        ? "SIMULATED: built-in ARI sandbox, no real phone calls are placed"
        : connected ? "connected to Asterisk ARI at " + settings.httpUrl()
        : socket.lastError() != null ? socket.lastError() : "connecting to Asterisk ARI at " + settings.httpUrl();
    msg.reply(new JsonObject().put("connected", connected).put("simulated", settings.simulated())
        .put("detail", detail).put("active_calls", calls.size()));
  }

  // ---- origination ----

  private void originate(Message<JsonObject> msg) {
    OriginateCommand command = OriginateCommand.fromJson(msg.body());
    String callId = command.callId();
    if (!socket.connected()) {
      // Never dial a call whose events we could not follow.
      metrics.notOriginated();
      fail(msg, callId, 503, "Asterisk is not reachable (" + socket.lastError() + "); the call was not placed");
      return;
    }
    Promise<Void> placed = Promise.promise();
    TrackedCall call = new TrackedCall(callId, command.context(), command.extension(), command.priority(),
        CallState.PENDING, placed.future());
    call.placing = true;
    calls.put(callId, call);
    long originateStart = System.nanoTime();
    ari.originate(command, settings.endpointFor(command.phoneNumber()))
        .onComplete(answered -> metrics.originated(answered.succeeded() ? "accepted"
            : answered.cause() instanceof AriException ? "refused" : "unavailable", System.nanoTime() - originateStart))
        .compose(channel -> {
          Instant at = channel.getString("creationtime") == null ? Instant.now()
              : AriEvent.parseTime(channel.getString("creationtime"));
          call.markQueued(CallState.DIALING);
          return transition(TransitionCommand.of(callId, CallState.DIALING, at, SOURCE).withChannel(callId));
        })
        .onSuccess(recorded -> {
          call.placing = false;
          placed.complete();
          msg.reply(new JsonObject().put("status", "dialing").put("channel", callId)
              .put("call", recorded.getJsonObject("call")));
        })
        .onFailure(failure -> {
          calls.remove(callId);
          placed.complete();
          if (failure instanceof AriException refused) {
            fail(msg, callId, 502, "Asterisk refused the call: " + refused.getMessage());
          } else {
            // The request may have reached Asterisk even though no answer came back: make sure nobody is
            // dialled for a call recorded as failed.
            ari.hangup(callId).onFailure(ignored -> { });
            fail(msg, callId, 503, "Asterisk did not answer the originate request: " + failure.getMessage());
          }
        });
  }

  /** Records the call as failed with the reason, then replies so the API can answer 502/503 with the call id. */
  private void fail(Message<JsonObject> msg, String callId, int httpStatus, String reason) {
    LOG.warn("Call {} failed to originate: {}", callId, reason);
    transition(TransitionCommand.of(callId, CallState.FAILED, Instant.now(), SOURCE).withFailure(reason))
        .onComplete(recorded -> msg.reply(new JsonObject().put("status", "failed").put("http_status", httpStatus)
            .put("reason", reason).put("call", recorded.succeeded() ? recorded.result().getJsonObject("call") : null)));
  }

  private void hangup(Message<JsonObject> msg) {
    String callId = msg.body().getString("call_id");
    TrackedCall call = calls.get(callId);
    if (call != null && !call.answered) {
      call.hangupRequested = true;
    }
    ari.hangup(callId).onSuccess(v -> msg.reply(new JsonObject().put("call_id", callId))).onFailure(failure -> {
      if (call != null && !call.answered) {
        call.hangupRequested = false;
      }
      if (failure instanceof AriException e && e.status() == 404) {
        BusError.CONFLICT.reply(msg, "call " + callId + " has no live channel: it already ended");
      } else if (failure instanceof AriException e) {
        BusError.UPSTREAM_REFUSED.reply(msg, "Asterisk refused the hang-up: " + e.getMessage());
      } else {
        BusError.UNAVAILABLE.reply(msg, "Asterisk is not reachable: " + failure.getMessage());
      }
    });
  }

  // ---- events ----

  private void onEvent(JsonObject event) {
    String type = AriEvent.type(event);
    metrics.ariEvent(type);
    switch (type) {
      case "ChannelStateChange" -> onStateChange(event);
      case "Dial" -> onDial(event);
      case "StasisStart" -> onStasisStart(event);
      case "ChannelDestroyed" -> onDestroyed(event);
      default -> {
        // Other events (dialplan steps, caller id, variables, the ;2 half of Local channels) change no call state.
      }
    }
  }

  private void onStateChange(JsonObject event) {
    TrackedCall call = calls.get(AriEvent.channelId(event));
    if (call == null) {
      return;
    }
    switch (AriEvent.channelState(event)) {
      case "Ringing", "Ring" -> advance(call, CallState.RINGING, event);
      case "Up" -> {
        call.answered = true;
        advance(call, CallState.ANSWERED, event);
      }
      default -> {
      }
    }
  }

  private void onDial(JsonObject event) {
    TrackedCall call = calls.get(AriEvent.channelId(event));
    if (call == null) {
      return;
    }
    String dialStatus = event.getString("dialstatus", "");
    switch (dialStatus) {
      case "" -> {
      }
      case "RINGING", "PROGRESS" -> advance(call, CallState.RINGING, event);
      case "ANSWER" -> {
        call.answered = true;
        advance(call, CallState.ANSWERED, event);
      }
      default -> call.dialStatus = dialStatus;
    }
  }

  /** The callee answered and the channel entered our app: keep following it, then send it to its IVR. */
  private void onStasisStart(JsonObject event) {
    String channelId = AriEvent.channelId(event);
    TrackedCall call = calls.get(channelId);
    if (call == null) {
      adoptOrHangUp(channelId);
      return;
    }
    call.answered = true;
    advance(call, CallState.ANSWERED, event);
    sendToIvr(call);
  }

  /**
   * A channel entered our app that this instance does not follow (answered while the service restarted, before
   * reconciliation ran): follow it if the database has it as an active call, otherwise hang it up rather than
   * leave a callee waiting in an application that will never serve them.
   */
  private void adoptOrHangUp(String channelId) {
    bus.<JsonObject>request(CALLS_GET, new JsonObject().put("call_id", channelId).put("admin", true))
        .map(Message::body)
        .onSuccess(row -> {
          if (row.getBoolean("is_active", false) && !calls.containsKey(channelId)) {
            follow(row, null);
          } else if (!row.getBoolean("is_active", false)) {
            ari.hangup(channelId);
          }
        })
        .onFailure(e -> {
          if (e instanceof ReplyException reply && reply.failureCode() == BusError.NOT_FOUND.code()) {
            LOG.warn("Channel {} entered the app but is no call of ours: hanging it up", channelId);
            ari.hangup(channelId);
          }
        });
  }

  private void sendToIvr(TrackedCall call) {
    if (call.continued) {
      return;
    }
    call.continued = true;
    ari.subscribe(call.callId)
        .compose(v -> ari.continueInDialplan(call.callId, call.context, call.extension, call.priority))
        .onFailure(e -> LOG.warn("Call {}: could not send the channel to {},{},{}: {}", call.callId, call.context,
            call.extension, call.priority, e.getMessage()));
  }

  private void onDestroyed(JsonObject event) {
    String channelId = AriEvent.channelId(event);
    TrackedCall call = calls.get(channelId);
    if (call == null) {
      return;
    }
    call.ended = true;
    CallOutcome outcome = CallOutcome.classify(call.answered, call.hangupRequested, call.dialStatus,
        event.getInteger("cause", 0), event.getString("cause_txt", ""));
    TransitionCommand end = TransitionCommand.of(call.callId, outcome.state(), AriEvent.timestamp(event), SOURCE)
        .withFailure(outcome.failureReason()).withCause(outcome.hangupCause(), outcome.hangupCauseText());
    call.then(outcome.state(), () -> transition(end).onComplete(done -> calls.remove(call.callId, call)));
  }

  private void advance(TrackedCall call, CallState state, JsonObject event) {
    if (!call.advances(state)) {
      return;
    }
    TransitionCommand command = TransitionCommand.of(call.callId, state, AriEvent.timestamp(event), SOURCE);
    call.then(state, () -> transition(command));
  }

  private Future<JsonObject> transition(TransitionCommand command) {
    return bus.<JsonObject>request(CALLS_TRANSITION, command.toJson()).map(Message::body)
        .onFailure(e -> LOG.error("Call {}: recording {} failed: {}", command.callId(), command.status().value(),
            e.getMessage()));
  }

  // ---- reconciliation ----

  /**
   * Settles every call the database holds as active against the channels Asterisk has: live ones are followed
   * again (re-subscribed, state caught up, sent to the IVR if they wait in our app); gone ones are ended.
   */
  private void reconcile(boolean afterGap) {
    if (reconciling) {
      return;
    }
    reconciling = true;
    long startedAt = System.currentTimeMillis();
    // Calls that ended during a socket gap ended at the latest when the socket was lost; otherwise, now.
    Instant endedBy = afterGap && disconnectedAt != null ? disconnectedAt : Instant.now();
    Future<JsonArray> active = bus.<JsonObject>request(CALLS_ACTIVE, new JsonObject())
        .map(reply -> reply.body().getJsonArray("items"));
    Future<Set<String>> live = ari.channelIds();
    Future.all(active, live).onComplete(done -> {
      reconciling = false;
      if (done.failed()) {
        LOG.warn("Reconciliation skipped: {}", done.cause().getMessage());
        return;
      }
      int followed = 0;
      int settled = 0;
      for (Object item : active.result()) {
        JsonObject row = (JsonObject) item;
        String callId = row.getString("call_id");
        TrackedCall tracked = calls.get(callId);
        if (tracked != null && (tracked.placing || tracked.trackedAtMillis >= startedAt)) {
          continue;
        }
        if (tracked == null && "pending".equals(row.getString("status")) && isRecent(row, startedAt)) {
          // Stored by the API a moment ago; its originate request is on its way here.
          continue;
        }
        if (live.result().contains(callId)) {
          follow(row, tracked);
          followed++;
        } else if (tracked == null) {
          settleNow(row, null, endedBy);
          settled++;
        } else {
          settleUnlessEnded(row, tracked, endedBy);
          settled++;
        }
      }
      if (afterGap) {
        disconnectedAt = null;
      }
      if (followed + settled > 0) {
        LOG.info("Reconciled {} active call(s): {} still live, {} ended while unobserved", followed + settled,
            followed, settled);
      }
    });
  }

  private void follow(JsonObject row, TrackedCall known) {
    String callId = row.getString("call_id");
    CallState status = CallState.of(row.getString("status"));
    TrackedCall call = known != null ? known : new TrackedCall(callId, row.getString("context"),
        row.getString("extension"), row.getInteger("priority", 1), status, Future.succeededFuture());
    if (known == null) {
      call.answered = status == CallState.ANSWERED;
      call.continued = call.answered;
      calls.put(callId, call);
    }
    if (status == CallState.PENDING) {
      call.then(CallState.DIALING, () -> transition(
          TransitionCommand.of(callId, CallState.DIALING, Instant.now(), RECONCILER).withChannel(callId)));
    }
    ari.subscribe(callId).compose(v -> ari.channel(callId)).onSuccess(channel -> {
      String state = channel.getString("state", "");
      Instant now = Instant.now();
      if ("Up".equals(state)) {
        call.answered = true;
        if (call.advances(CallState.ANSWERED)) {
          call.then(CallState.ANSWERED, () -> transition(TransitionCommand.of(callId, CallState.ANSWERED, now, RECONCILER)));
        }
        JsonObject dialplan = channel.getJsonObject("dialplan", new JsonObject());
        if ("Stasis".equalsIgnoreCase(dialplan.getString("app_name", ""))) {
          call.continued = false;
          sendToIvr(call);
        }
      } else if ("Ringing".equals(state) && call.advances(CallState.RINGING)) {
        call.then(CallState.RINGING, () -> transition(TransitionCommand.of(callId, CallState.RINGING, now, RECONCILER)));
      }
    }).onFailure(e -> LOG.debug("Call {}: channel vanished while reconciling: {}", callId, e.getMessage()));
  }

  /**
   * A pending call stored by this process within the originate window may still be on its way to us; one
   * stored before this verticle started never will be.
   */
  private boolean isRecent(JsonObject row, long now) {
    String created = row.getString("created_at");
    long pendingWindow = settings.requestTimeoutMs() * 2L + 5_000;
    return created != null && Instant.parse(created).toEpochMilli() > Math.max(startedAtMillis, now - pendingWindow);
  }

  /**
   * A call we follow whose channel Asterisk no longer lists. Its ChannelDestroyed may still be on its way: Asterisk
   * answers the channel list ahead of the events it has queued on our socket (seen under load: a call that had just
   * answered and ended was settled as failed before its answer and end were read). Settle it only if no end has
   * been seen within the grace period, as after a dropped connection that lost the events.
   */
  private void settleUnlessEnded(JsonObject row, TrackedCall call, Instant endedBy) {
    vertx.setTimer(SETTLE_GRACE_MS, id -> {
      if (!call.ended && calls.get(call.callId) == call) {
        settleNow(row, call, endedBy);
      }
    });
  }

  /** The channel is gone and its end was not observed: end the call with what is known. */
  private void settleNow(JsonObject row, TrackedCall known, Instant endedBy) {
    String callId = row.getString("call_id");
    CallState status = CallState.of(row.getString("status"));
    boolean answered = status == CallState.ANSWERED || known != null && known.answered;
    TransitionCommand end = answered
        ? TransitionCommand.of(callId, CallState.COMPLETED, endedBy, RECONCILER)
            .withFailure("end time approximate: the call ended while the service was not receiving Asterisk events")
        : TransitionCommand.of(callId, CallState.FAILED, Instant.now(), RECONCILER).withFailure(status == CallState.PENDING
            ? "the service stopped before the call was placed"
            : "outcome unknown: the call ended while the service was not receiving Asterisk events");
    if (known != null) {
      known.then(end.status(), () -> transition(end).onComplete(done -> calls.remove(callId, known)));
    } else {
      transition(end);
    }
  }
}
