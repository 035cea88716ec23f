package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The {@code db.calls.transition} side of the persistence verticle: applies call transitions (guarded in the
 * database, batched) and publishes each accepted one after its commit.
 */
final class TransitionRequests {

  private static final String STALE_EPOCH = "CCF01";

  private final TransitionBatcher transitions;
  private final CallStatusPublisher status;
  private final EventBus bus;
  private final DatabaseReplies replies;

  TransitionRequests(TransitionBatcher transitions, CallStatusPublisher status, EventBus bus, DatabaseReplies replies) {
    this.transitions = transitions;
    this.status = status;
    this.bus = bus;
    this.replies = replies;
  }

  MessageConsumer<Object> register() {
    return bus.localConsumer(CALLS_TRANSITION, this::transition);
  }

  /**
   * A transition from this node's ARI side arrives as a {@link TransitionCommand} object and is answered with a
   * {@link TransitionOutcome} object (no JSON per transition); one sent as JSON is answered in JSON.
   */
  private void transition(Message<Object> msg) {
    if (msg.body() instanceof TransitionCommand command) {
      Future<TransitionOutcome> applied = CallRequests.callId(command.callId()).compose(id -> apply(
          new TransitionStatements.Transition(id, command.status(), utc(command.at()), command.failureReason(),
              command.hangupCause(), command.hangupCauseText(), command.channel(), command.source(),
              utc(command.answeredAt()), command.endTimeApproximate(), command.ownerEpoch())));
      replies.track(applied).onSuccess(outcome -> msg.reply(outcome, LocalCodec.LOCAL))
          .onFailure(failure -> DatabaseReplies.fail(msg, failure, fencedAsBusError(failure)));
      return;
    }
    JsonObject t = (JsonObject) msg.body();
    CallState to = CallState.of(t.getString("status"));
    OffsetDateTime at = OffsetDateTime.parse(t.getString("at"));
    OffsetDateTime answeredAt = CallRequests.time(t.getString("answered_at"));
    Future<JsonObject> applied = CallRequests.callId(t.getString("call_id")).compose(id -> apply(
            new TransitionStatements.Transition(id, to, at, t.getString("failure_reason"), t.getInteger("hangup_cause"),
                t.getString("hangup_cause_text"), t.getString("channel"), t.getString("source", "api"), answeredAt,
                t.getBoolean("end_time_approximate", false), t.getLong("owner_epoch"))))
        .map(TransitionOutcome::toJson);
    replies.reply(msg, applied, TransitionRequests::fencedAsBusError);
  }

  /** Applies the transition (batched with others); an applied one is published, after its commit. */
  private Future<TransitionOutcome> apply(TransitionStatements.Transition transition) {
    return transitions.submit(transition).map(updated -> {
      if (updated.isEmpty()) {
        return TransitionOutcome.REFUSED;
      }
      JsonObject call = updated.get();
      String previous = (String) call.remove("previous_status");
      status.publish(call, previous, Rows.time(transition.at()));
      return new TransitionOutcome(true, call);
    });
  }

  private static Throwable fencedAsBusError(Throwable failure) {
    return isFenced(failure) ? BusError.FENCED.exception(failure.getMessage()) : null;
  }

  /** V6's trigger refused the write: its ownership epoch is no longer the server's current one. */
  private static boolean isFenced(Throwable failure) {
    return failure instanceof PgException pg && STALE_EPOCH.equals(pg.getSqlState());
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
