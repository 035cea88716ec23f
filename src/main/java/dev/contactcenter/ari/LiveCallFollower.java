package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_GET;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows again an active call whose channel Asterisk still has: subscribes to it, catches its state up (dialing,
 * ringing, answered) and sends it to the IVR if it waits in our app. Also adopts channels that enter our app
 * without being followed.
 */
final class LiveCallFollower {

  // The reconciler's logger: these lines are part of its reconciliation log.
  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);

  private final Vertx vertx;
  private final AriClient ari;
  private final Map<String, TrackedCall> calls;
  private final TransitionRecorder recorder;
  private final IvrHandoff ivr;
  private final CallTimeouts timeouts;
  private final Runnable reconcile;

  /** @param reconcile requests a reconciliation run (for a channel that vanished while being followed again) */
  LiveCallFollower(Vertx vertx, AriClient ari, Map<String, TrackedCall> calls, TransitionRecorder recorder,
      IvrHandoff ivr, CallTimeouts timeouts, Runnable reconcile) {
    this.vertx = vertx;
    this.ari = ari;
    this.calls = calls;
    this.recorder = recorder;
    this.ivr = ivr;
    this.timeouts = timeouts;
    this.reconcile = reconcile;
  }

  /**
   * A channel entered our app that this instance does not follow (answered while the service restarted, before
   * reconciliation ran): follow it if the database has it as an active call, otherwise hang it up rather than leave
   * a callee waiting in an application that will never serve them.
   */
  void adoptOrHangUp(String channelId) {
    findActive(channelId, false).onFailure(e -> {
      if (e instanceof ReplyException reply && reply.failureCode() == BusError.NOT_FOUND.code()) {
        LOG.warn("Channel {} entered the app but is no call of ours: hanging it up", channelId);
        ari.hangup(channelId);
      }
    });
  }

  /** A channel the dialplan sent into our app (and we handed back): if it is one of our calls, keep following it. */
  void adoptFromDialplan(String channelId) {
    findActive(channelId, true);
  }

  private Future<JsonObject> findActive(String channelId, boolean fromDialplan) {
    return vertx.eventBus().<JsonObject>request(CALLS_GET, new JsonObject().put("call_id", channelId).put("admin", true))
        .map(Message::body)
        .onSuccess(row -> {
          boolean active = row.getBoolean("is_active", false);
          if (active && !calls.containsKey(channelId)) {
            follow(row, null, fromDialplan);
          } else if (!active && !fromDialplan) {
            ari.hangup(channelId);
          }
        });
  }

  /** @param known the call as this instance tracks it, null when it does not */
  void follow(JsonObject row, TrackedCall known, boolean inDialplan) {
    String callId = row.getString("call_id");
    CallState status = CallState.of(row.getString("status"));
    TrackedCall call = known;
    if (call == null) {
      call = new TrackedCall(callId, row.getString("context"), row.getString("extension"),
          row.getInteger("priority", 1), status);
      String answeredAt = row.getString("answered_at");
      if (answeredAt != null) {
        call.answeredAt(Instant.parse(answeredAt));
      }
      call.continued = call.answered() || inDialplan;
      call.inIvr = call.continued;
      calls.put(callId, call);
    }
    TrackedCall followed = call;
    if (status == CallState.PENDING && followed.advances(CallState.DIALING)) {
      followed.queued(CallState.DIALING);
      recorder.record(TransitionCommand.of(callId, CallState.DIALING, Instant.now(), Reconciler.SOURCE)
          .withChannel(callId));
    }
    ari.subscribe(callId).compose(v -> ari.channel(callId)).onSuccess(channel -> {
      String state = channel.getString("state", "");
      Instant now = Instant.now();
      if ("Up".equals(state)) {
        followed.answeredAt(now);
        if (followed.advances(CallState.ANSWERED)) {
          followed.queued(CallState.ANSWERED);
          recorder.record(TransitionCommand.of(callId, CallState.ANSWERED, now, Reconciler.SOURCE));
        }
        JsonObject dialplan = channel.getJsonObject("dialplan", new JsonObject());
        if (!inDialplan && "Stasis".equalsIgnoreCase(dialplan.getString("app_name", ""))) {
          if (followed.continued && followed.context.equals(dialplan.getString("context"))) {
            // In our app from its own IVR (a Stasis() there): back to the IVR's next step, not its start.
            ivr.handBack(callId);
          } else {
            followed.continued = false;
            followed.inIvr = false;
            ivr.sendToIvr(followed);
          }
        }
      } else if ("Ringing".equals(state) && followed.advances(CallState.RINGING)) {
        followed.queued(CallState.RINGING);
        recorder.record(TransitionCommand.of(callId, CallState.RINGING, now, Reconciler.SOURCE));
      }
    }).onFailure(e -> {
      LOG.debug("Call {}: channel vanished while reconciling: {}", callId, e.getMessage());
      // Gone before our subscription took (e.g. hung up right after a takeover): its end event never comes to us,
      // so the next run, after the grace for events still queued, settles it instead of the 60 s one.
      if (calls.get(callId) == followed) {
        vertx.setTimer(timeouts.settleGraceMs(), id -> reconcile.run());
      }
    });
  }
}
