package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionChain;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores call transitions so none is ever dropped while the process lives: each call's transitions are written one
 * after another in the order they were observed, and a write that fails because the database is unavailable (down,
 * pool exhausted, timed out) is retried with capped exponential backoff until it is stored. A refusal by the
 * database's guard is an answer, not a failure: the transition was stale or a duplicate.
 *
 * <p>Confined to the ARI verticle's event loop.
 */
final class TransitionRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(TransitionRecorder.class);

  private final Vertx vertx;
  private final CallTimeouts timeouts;
  private final Runnable onRecovered;
  private final OwnerEpoch owner;
  private final Runnable onFenced;
  private boolean fenced;
  private final DeliveryOptions delivery;
  /** A transition waiting for its call's earlier writes, and the answer its caller waits for. */
  private record Queued(Future<TransitionCommand> command, Promise<TransitionOutcome> outcome) {
  }

  /** Each call with transitions not stored yet, in order: the first ones are being written, the rest wait. */
  private final Map<String, ArrayDeque<Queued>> queues = new HashMap<>();
  private int inFlight;
  private boolean failing;
  private long delayedSinceFailure;
  private Promise<Void> drained;

  /** A recorder whose writes carry no ownership epoch (never fenced). */
  TransitionRecorder(Vertx vertx, CallTimeouts timeouts, Runnable onRecovered) {
    this(vertx, timeouts, OwnerEpoch.none(), onRecovered, () -> { });
  }

  /**
   * @param owner       the server and epoch every write carries; the database refuses them once superseded
   * @param onRecovered runs once when writes succeed again after an outage
   * @param onFenced    runs once when the database refused a write because another node owns the server now
   */
  TransitionRecorder(Vertx vertx, CallTimeouts timeouts, OwnerEpoch owner, Runnable onRecovered, Runnable onFenced) {
    this.vertx = vertx;
    this.timeouts = timeouts;
    this.owner = owner;
    this.onRecovered = onRecovered;
    this.onFenced = onFenced;
    // The object itself goes to this node's persistence verticle: no JSON per transition (see LocalCodec).
    LocalCodec.register(vertx);
    this.delivery = new DeliveryOptions(LocalCodec.LOCAL).setSendTimeout(timeouts.transitionWriteMs());
  }

  /**
   * Queues the transition behind the call's earlier ones. The future completes with the database's reply once it
   * is stored (or refused by the guard); it fails only for a request the database can never accept.
   */
  Future<TransitionOutcome> record(TransitionCommand command) {
    return record(command.callId(), Future.succeededFuture(command));
  }

  /**
   * Queues a transition not known yet (the outcome of a request in flight): the call's later transitions wait behind
   * it, so an event that arrives before the originate answer is still stored after {@code dialing}.
   */
  Future<TransitionOutcome> record(String callId, Future<TransitionCommand> command) {
    inFlight++;
    Queued queued = new Queued(command, Promise.promise());
    queued.outcome().future().onComplete(done -> {
      inFlight--;
      if (inFlight == 0 && drained != null) {
        drained.tryComplete();
      }
    });
    ArrayDeque<Queued> queue = queues.get(callId);
    if (queue != null) {
      queue.addLast(queued);
    } else {
      queue = new ArrayDeque<>();
      queue.addLast(queued);
      queues.put(callId, queue);
      writeNext(callId, queue);
    }
    return queued.outcome().future();
  }

  /**
   * Writes the call's first waiting transition once it is known, together with those queued behind it that may share
   * its statement ({@link TransitionChain#canFollow}): a call whose events arrive while its last write is in flight
   * needs one statement for all of them, not one each after the other.
   */
  private void writeNext(String callId, ArrayDeque<Queued> queue) {
    Queued first = queue.peekFirst();
    if (first == null) {
      queues.remove(callId);
      return;
    }
    first.command().onComplete(known -> {
      if (known.failed()) {
        queue.pollFirst();
        first.outcome().complete(TransitionOutcome.REFUSED);
        writeNext(callId, queue);
        return;
      }
      List<TransitionCommand> steps = new ArrayList<>();
      steps.add(known.result());
      for (Queued next : queue) {
        if (next != first) {
          Future<TransitionCommand> command = next.command();
          if (!command.succeeded() || !TransitionChain.canFollow(steps, command.result())) {
            break;
          }
          steps.add(command.result());
        }
      }
      attempt(steps, 0).onComplete(stored -> {
        for (int i = 0; i < steps.size(); i++) {
          Promise<TransitionOutcome> outcome = queue.pollFirst().outcome();
          if (stored.succeeded()) {
            outcome.complete(stored.result().get(i));
          } else {
            outcome.fail(stored.cause());
          }
        }
        writeNext(callId, queue);
      });
    });
  }

  /** Transitions queued or being retried. */
  int inFlight() {
    return inFlight;
  }

  /**
   * Completes when every queued transition is stored, or after {@code maxWaitMs}: what a graceful stop waits for.
   * The number still unstored is logged.
   */
  Future<Void> drain(long maxWaitMs) {
    if (inFlight == 0) {
      return Future.succeededFuture();
    }
    LOG.info("Waiting up to {} ms for {} call transition(s) to be stored", maxWaitMs, inFlight);
    drained = Promise.promise();
    long timer = vertx.setTimer(maxWaitMs, id -> {
      LOG.error("{} call transition(s) could not be stored before stopping; reconciliation settles those calls"
          + " after the restart", inFlight);
      drained.tryComplete();
    });
    return drained.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  private Future<List<TransitionOutcome>> attempt(List<TransitionCommand> steps, int retries) {
    if (fenced) {
      return Future.failedFuture(BusError.FENCED.exception("ownership of server " + owner.server() + " epoch "
          + owner.epoch() + " was superseded"));
    }
    List<TransitionCommand> stamped = steps.stream().map(owner::stamp).toList();
    Object request = stamped.size() == 1 ? stamped.get(0) : new TransitionChain(stamped);
    return vertx.eventBus().request(CALLS_TRANSITION, request, delivery)
        .map(reply -> reply.body() instanceof TransitionChain.Outcomes outcomes ? outcomes.steps()
            : List.of((TransitionOutcome) reply.body()))
        .onSuccess(stored -> recovered())
        .recover(failure -> {
          TransitionCommand command = steps.get(0);
          if (isFenced(failure) && renewedSince(stamped.get(0))) {
            // Stamped before this node took the server back under a new epoch (after losing its database session)
            // and refused as stale: this node's own observation, still true, so it goes again under the new epoch.
            return attempt(steps, retries);
          }
          if (isFenced(failure)) {
            // Another node owns the server now and follows this call: nothing to retry, stop owning.
            if (!fenced) {
              fenced = true;
              onFenced.run();
            }
            return Future.failedFuture(failure);
          }
          if (!retryable(failure)) {
            LOG.error("Call {}: recording {} was rejected: {}", command.callId(), names(steps), failure.getMessage());
            return Future.failedFuture(failure);
          }
          failed(command, failure, retries);
          long delay = Math.min(timeouts.maxRetryMs(), timeouts.firstRetryMs() << Math.min(retries, 16));
          Promise<Void> wait = Promise.promise();
          vertx.setTimer(delay, id -> wait.complete());
          return wait.future().compose(v -> attempt(steps, retries + 1));
        });
  }

  private static String names(List<TransitionCommand> steps) {
    StringBuilder names = new StringBuilder();
    for (TransitionCommand step : steps) {
      names.append(names.length() == 0 ? "" : ", ").append(step.status().value());
    }
    return names.toString();
  }

  private void failed(TransitionCommand command, Throwable failure, int retries) {
    if (retries == 0) {
      delayedSinceFailure++;
    }
    if (!failing) {
      failing = true;
      LOG.warn("Call {}: recording {} failed ({}); retrying this and later transitions until the database"
          + " accepts them", command.callId(), command.status().value(), failure.getMessage());
    }
  }

  private void recovered() {
    if (failing) {
      failing = false;
      LOG.info("Database accepts call transitions again; {} delayed transition(s) are being stored in order",
          delayedSinceFailure);
      delayedSinceFailure = 0;
      onRecovered.run();
    }
  }

  /** This node owns the server again, under a newer epoch than the one the write carried. */
  private boolean renewedSince(TransitionCommand stamped) {
    return stamped.ownerEpoch() != null && stamped.ownerEpoch() != owner.epoch();
  }

  private static boolean isFenced(Throwable failure) {
    return failure instanceof ReplyException reply && reply.failureCode() == BusError.FENCED.code();
  }

  /** The database did not answer or could not: worth retrying. Any other reply is final. */
  private static boolean retryable(Throwable failure) {
    if (failure instanceof ReplyException reply) {
      return switch (reply.failureType()) {
        case TIMEOUT, NO_HANDLERS -> true;
        default -> reply.failureCode() == BusError.UNAVAILABLE.code() || reply.failureCode() == BusError.INTERNAL.code();
      };
    }
    return true;
  }
}
