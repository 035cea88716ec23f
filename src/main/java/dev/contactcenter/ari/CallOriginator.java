package dev.contactcenter.ari;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.OriginateCommand;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.CallTimeouts;
import dev.contactcenter.metrics.CallMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places calls and hangs them up on request. The only component that decides whether a call was placed: it answers
 * the API once Asterisk accepted or refused the originate and the outcome is stored, or after a short bound when
 * the database is slow (always within {@link CallTimeouts#originateReplyMs()}); the recorder never drops the outcome,
 * whether the database is up or not.
 */
final class CallOriginator {

  private static final Logger LOG = LoggerFactory.getLogger(CallOriginator.class);
  static final String SOURCE = "ari";

  private final Vertx vertx;
  private final CallTimeouts timeouts;
  private final AriClient ari;
  private final AriSettings settings;
  private final Map<String, TrackedCall> calls;
  private final TransitionRecorder recorder;
  private final CallMetrics metrics;
  private final WithdrawnOriginates withdrawn;
  private final CallIntake intake;
  /** When the last paced dial left (System.nanoTime), 0 before the first. */
  private long lastPacedDial;

  CallOriginator(Vertx vertx, AriClient ari, AriSettings settings, Map<String, TrackedCall> calls,
      TransitionRecorder recorder, CallMetrics metrics, WithdrawnOriginates withdrawn, CallIntake intake) {
    this.vertx = vertx;
    this.timeouts = settings.timeouts();
    this.ari = ari;
    this.settings = settings;
    this.calls = calls;
    this.recorder = recorder;
    this.metrics = metrics;
    this.withdrawn = withdrawn;
    this.intake = intake;
  }

  void originate(Message<JsonObject> msg) {
    OriginateCommand command = OriginateCommand.fromJson(msg.body());
    String callId = command.callId();
    boolean paced = msg.body().containsKey("send_at_ms");
    if (intake.leaving() && !paced) {
      // Sent again by the API (OwnerRequest) until the next owner takes it. A paced call of this node's dispatcher
      // is marked sent already: it is dialled here if its slot comes first, else reconciliation ends it.
      BusError.RESEND.reply(msg, "the server is being handed to another node; send again");
      return;
    }
    if (!intake.connected()) {
      if (!intake.firstAttempt().isComplete()) {
        intake.firstAttempt().onComplete(settled -> originate(msg));
        return;
      }
      // Never dial a call whose events we could not follow.
      metrics.notOriginated();
      Promise<TransitionCommand> notPlaced = Promise.promise();
      fail(msg, notPlaced, recorder.record(callId, notPlaced.future()), callId, 503,
          "Asterisk is not reachable (" + intake.notConnectedReason() + "); the call was not placed");
      return;
    }
    TrackedCall call = new TrackedCall(callId, command.context(), command.extension(), command.priority(),
        CallState.PENDING);
    call.placing = true;
    calls.put(callId, call);
    call.queued(CallState.DIALING);
    Promise<TransitionCommand> placed = Promise.promise();
    Future<TransitionOutcome> stored = recorder.record(callId, placed.future());
    // A paced dial (dev.contactcenter.dispatch) names the moment it may leave and its spacing; a hang-up meanwhile
    // cancels it.
    if (paced) {
      sendWhenDue(msg, command, call, placed, stored);
      return;
    }
    dial(msg, command, call, placed, stored);
  }

  /**
   * Dials at {@code send_at_ms}, and never sooner than {@code min_gap_ms} after the previous paced dial actually left
   * (a timer that fired late must not bring the next dial closer to it); tells {@code left_address} when it leaves.
   */
  private void sendWhenDue(Message<JsonObject> msg, OriginateCommand command, TrackedCall call,
      Promise<TransitionCommand> placed, Future<TransitionOutcome> stored) {
    long gapNanos = msg.body().getLong("min_gap_ms", 0L) * 1_000_000;
    long waitMs = Math.max(msg.body().getLong("send_at_ms") - System.currentTimeMillis(),
        lastPacedDial == 0 ? 0 : (lastPacedDial + gapNanos - System.nanoTime() + 999_999) / 1_000_000);
    if (waitMs > 0 && !call.hangupRequested) {
      vertx.setTimer(waitMs, id -> sendWhenDue(msg, command, call, placed, stored));
      return;
    }
    if (call.hangupRequested) {
      calls.remove(command.callId(), call);
      placed.complete(TransitionCommand.of(command.callId(), CallState.CANCELED, Instant.now(), SOURCE)
          .withFailure("hung up before it was dialled"));
      replyOnceStored(stored, () -> msg.reply(new JsonObject().put("status", "canceled")));
      return;
    }
    lastPacedDial = System.nanoTime();
    // The dispatcher marks its next call sent only once this one left: at most one marked call waits here.
    String leftAddress = msg.body().getString("left_address");
    if (leftAddress != null) {
      vertx.eventBus().send(leftAddress, new JsonObject().put("call_id", command.callId()));
    }
    dial(msg, command, call, placed, stored);
  }

  private void dial(Message<JsonObject> msg, OriginateCommand command, TrackedCall call,
      Promise<TransitionCommand> placed, Future<TransitionOutcome> stored) {
    String callId = command.callId();
    long originateStart = System.nanoTime();
    ari.originate(command, settings.endpointFor(command.phoneNumber()))
        .onComplete(answered -> metrics.originated(answered.succeeded() ? "accepted"
            : answered.cause() instanceof AriException ? "refused" : "unavailable", System.nanoTime() - originateStart))
        .onSuccess(channel -> {
          call.placing = false;
          Instant at = channel.getString("creationtime") == null ? Instant.now()
              : AriEvent.parseTime(channel.getString("creationtime"));
          placed.complete(TransitionCommand.of(callId, CallState.DIALING, at, SOURCE).withChannel(callId));
          JsonObject dialing = new JsonObject().put("status", "dialing").put("channel", callId);
          replyOnceStored(stored, () -> msg.reply(dialing.copy().put("call", dialing)));
          if (call.hangupRequested) {
            // Hung up through the API while its originate was on its way: end it now that the channel exists.
            ari.hangup(callId).onFailure(ignored -> { });
          }
        })
        .onFailure(failure -> {
          calls.remove(callId, call);
          if (failure instanceof AriException refused) {
            fail(msg, placed, stored, callId, 502, "Asterisk refused the call: " + refused.getMessage());
          } else {
            // The request may have reached Asterisk, or reach it late: nobody may ring for a call recorded failed.
            withdrawn.withdraw(callId);
            fail(msg, placed, stored, callId, 503,
                "Asterisk did not answer the originate request: " + failure.getMessage());
          }
        });
  }

  /**
   * Settles the call's queued outcome as failed with the reason and replies at once, so the API can answer 502/503
   * with the id.
   */
  private void fail(Message<JsonObject> msg, Promise<TransitionCommand> outcome, Future<TransitionOutcome> stored,
      String callId, int httpStatus, String reason) {
    LOG.warn("Call {} failed to originate: {}", callId, reason);
    outcome.complete(TransitionCommand.of(callId, CallState.FAILED, Instant.now(), SOURCE).withFailure(reason));
    replyOnceStored(stored, () -> msg.reply(new JsonObject().put("status", "failed").put("http_status", httpStatus)
        .put("reason", reason).put("call", new JsonObject().put("status", "failed").put("failure_reason", reason))));
  }

  /**
   * Answers once the new state is stored, so the API's next read shows it, or after a short bound while the
   * database is slow or down (the write goes on): the API never waits on the database to learn what Asterisk said.
   */
  private void replyOnceStored(Future<TransitionOutcome> stored, Runnable reply) {
    Promise<Void> once = Promise.promise();
    once.future().onSuccess(v -> reply.run());
    long timer = vertx.setTimer(timeouts.storeBeforeReplyMs(), id -> once.tryComplete());
    stored.onComplete(done -> {
      vertx.cancelTimer(timer);
      once.tryComplete();
    });
  }

  void hangup(Message<JsonObject> msg) {
    String callId = msg.body().getString("call_id");
    TrackedCall call = calls.get(callId);
    if (call != null && !call.answered()) {
      call.hangupRequested = true;
    }
    if (call != null && call.placing) {
      // No channel yet to hang up: the originate's answer does it (above).
      msg.reply(new JsonObject().put("call_id", callId));
      return;
    }
    ari.hangup(callId).onSuccess(v -> msg.reply(new JsonObject().put("call_id", callId))).onFailure(failure -> {
      if (call != null && !call.answered()) {
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
}
