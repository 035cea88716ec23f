package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import java.util.HashMap;
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
  /** The last queued write of each call with writes in flight. */
  private final Map<String, Future<TransitionOutcome>> tails = new HashMap<>();
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
    Future<TransitionOutcome> previous = tails.get(callId);
    inFlight++;
    Future<TransitionOutcome> write = (previous == null ? Future.succeededFuture() : previous)
        .transform(ignored -> command.transform(known -> known.succeeded()
            ? attempt(known.result(), 0)
            : Future.succeededFuture(TransitionOutcome.REFUSED)));
    tails.put(callId, write);
    write.onComplete(done -> {
      if (tails.get(callId) == write) {
        tails.remove(callId);
      }
      inFlight--;
      if (inFlight == 0 && drained != null) {
        drained.tryComplete();
      }
    });
    return write;
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

  private Future<TransitionOutcome> attempt(TransitionCommand command, int retries) {
    if (fenced) {
      return Future.failedFuture(BusError.FENCED.exception("ownership of server " + owner.server() + " epoch "
          + owner.epoch() + " was superseded"));
    }
    TransitionCommand stamped = owner.stamp(command);
    return vertx.eventBus().<TransitionOutcome>request(CALLS_TRANSITION, stamped, delivery)
        .map(Message::body)
        .onSuccess(stored -> recovered())
        .recover(failure -> {
          if (isFenced(failure) && renewedSince(stamped)) {
            // Stamped before this node took the server back under a new epoch (after losing its database session)
            // and refused as stale: this node's own observation, still true, so it goes again under the new epoch.
            return attempt(command, retries);
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
            LOG.error("Call {}: recording {} was rejected: {}", command.callId(), command.status().value(),
                failure.getMessage());
            return Future.failedFuture(failure);
          }
          failed(command, failure, retries);
          long delay = Math.min(timeouts.maxRetryMs(), timeouts.firstRetryMs() << Math.min(retries, 16));
          Promise<Void> wait = Promise.promise();
          vertx.setTimer(delay, id -> wait.complete());
          return wait.future().compose(v -> attempt(command, retries + 1));
        });
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
