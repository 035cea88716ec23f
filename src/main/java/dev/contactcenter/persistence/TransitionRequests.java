package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionChain;
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
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

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
   * A transition from this node's ARI side arrives as a {@link TransitionCommand} object, or several of one call as a
   * {@link TransitionChain}, and is answered with a {@link TransitionOutcome} object, or their
   * {@link TransitionChain.Outcomes} (no JSON per transition); one sent as JSON is answered in JSON.
   */
  private void transition(Message<Object> msg) {
    if (msg.body() instanceof TransitionChain chain) {
      replyLocal(msg, CallRequests.callId(chain.steps().get(0).callId())
          .compose(id -> apply(chain.steps().stream().map(step -> transition(id, step)).toList()))
          .map(TransitionChain.Outcomes::new));
      return;
    }
    if (msg.body() instanceof TransitionCommand command) {
      replyLocal(msg, CallRequests.callId(command.callId())
          .compose(id -> apply(List.of(transition(id, command)))).map(outcomes -> outcomes.get(0)));
      return;
    }
    JsonObject t = (JsonObject) msg.body();
    CallState to = CallState.of(t.getString("status"));
    OffsetDateTime at = OffsetDateTime.parse(t.getString("at"));
    OffsetDateTime answeredAt = CallRequests.time(t.getString("answered_at"));
    Future<JsonObject> applied = CallRequests.callId(t.getString("call_id")).compose(id -> apply(List.of(
            new TransitionStatements.Transition(id, to, at, t.getString("failure_reason"), t.getInteger("hangup_cause"),
                t.getString("hangup_cause_text"), t.getString("channel"), t.getString("source", "api"), answeredAt,
                t.getBoolean("end_time_approximate", false), t.getLong("owner_epoch")))))
        .map(outcomes -> outcomes.get(0).toJson());
    replies.reply(msg, applied, TransitionRequests::fencedAsBusError);
  }

  /** Answers a requester of this process with the object itself (local codec), or the failure as a bus error. */
  private void replyLocal(Message<Object> msg, Future<?> applied) {
    replies.track(applied).onSuccess(answer -> msg.reply(answer, LocalCodec.LOCAL))
        .onFailure(failure -> DatabaseReplies.fail(msg, failure, fencedAsBusError(failure)));
  }

  private static TransitionStatements.Transition transition(UUID id, TransitionCommand command) {
    return new TransitionStatements.Transition(id, command.status(), utc(command.at()), command.failureReason(),
        command.hangupCause(), command.hangupCauseText(), command.channel(), command.source(),
        utc(command.answeredAt()), command.endTimeApproximate(), command.ownerEpoch());
  }

  /**
   * Applies one call's transitions in order, in one statement row (batched with other calls'); each applied one is
   * published, after the commit. When the guard refuses the first, the others are applied after it as they would
   * have been one at a time: the first that the call's state allows, and the rest after it.
   */
  private Future<List<TransitionOutcome>> apply(List<TransitionStatements.Transition> steps) {
    TransitionStatements.Chain chain = new TransitionStatements.Chain(steps);
    return transitions.submit(chain).compose(stored -> {
      if (stored.isEmpty()) {
        if (steps.size() == 1) {
          return Future.succeededFuture(List.of(TransitionOutcome.REFUSED));
        }
        return apply(steps.subList(1, steps.size())).map(rest -> {
          List<TransitionOutcome> outcomes = new ArrayList<>(steps.size());
          outcomes.add(TransitionOutcome.REFUSED);
          outcomes.addAll(rest);
          return outcomes;
        });
      }
      List<JsonObject> calls = steps.size() == 1 ? List.of(stored.get().call())
          : ChainSteps.calls(chain, stored.get());
      List<TransitionOutcome> outcomes = new ArrayList<>(steps.size());
      for (int i = 0; i < steps.size(); i++) {
        JsonObject call = calls.get(i);
        // Each call object was built for this step: published as is and answered as is (read-only from here).
        status.publishAsIs(call, call.getString("previous_status"), Rows.time(steps.get(i).at()));
        outcomes.add(new TransitionOutcome(true, call));
      }
      return Future.succeededFuture(outcomes);
    });
  }

  private static Throwable fencedAsBusError(Throwable failure) {
    return isFenced(failure) ? BusError.FENCED.exception(failure.getMessage()) : null;
  }

  /** V6's trigger refused the write: its ownership epoch is no longer the server's current one. */
  private static boolean isFenced(Throwable failure) {
    return failure instanceof PgException pg && STALE_EPOCH.equals(pg.getSqlState());
  }

  /** Without {@code Instant.atOffset}, which builds the offset's ZoneRules anew at every call. */
  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : OffsetDateTime.of(
        LocalDateTime.ofEpochSecond(instant.getEpochSecond(), instant.getNano(), ZoneOffset.UTC), ZoneOffset.UTC);
  }
}
