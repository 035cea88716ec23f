package dev.contactcenter.bus;

import dev.contactcenter.calls.CallState;
import java.util.List;
import java.util.Objects;

/**
 * Request on {@code db.calls.transition} from this node's ARI side: one call's transitions that were waiting behind
 * its last write, in the order observed, stored by one statement (one update of the call, one timeline entry and one
 * publication per step, after the commit). Only a chain that {@link #canFollow} built is valid: each step may follow
 * the one before it, so the database's guard on the first step decides the whole chain; when it refuses the first,
 * the rest is tried again on its own, as it would have been one at a time. Answered with {@link Outcomes}, one per
 * step. Local only ({@link LocalCodec}).
 */
public record TransitionChain(List<TransitionCommand> steps) {

  /** The most transitions one chain carries (a call has at most four after its creation). */
  public static final int MAX_STEPS = 8;

  /** The outcome of each step, in order. */
  public record Outcomes(List<TransitionOutcome> steps) {
  }

  public TransitionChain {
    steps = List.copyOf(steps);
    if (steps.isEmpty() || steps.size() > MAX_STEPS) {
      throw new IllegalArgumentException("a chain holds 1 to " + MAX_STEPS + " transitions");
    }
    for (int i = 1; i < steps.size(); i++) {
      if (!canFollow(steps.subList(0, i), steps.get(i))) {
        throw new IllegalArgumentException("transition " + i + " of the chain may not follow the one before it");
      }
    }
  }

  /**
   * Whether {@code next} may be stored in the same statement as {@code chain}, right after it: the same call and
   * writer; the state machine allows it straight after the chain's last state, so it applies whenever the chain
   * does; {@code completed} only once the chain holds the answer; a channel only on a chain's first step and end
   * details (failure, cause, answer time, approximate end) only on its last, so that every step but the last is
   * published as the row before the chain plus the times its steps set.
   */
  public static boolean canFollow(List<TransitionCommand> chain, TransitionCommand next) {
    if (chain.isEmpty() || chain.size() >= MAX_STEPS) {
      return false;
    }
    TransitionCommand last = chain.get(chain.size() - 1);
    return next.callId().equals(last.callId())
        && Objects.equals(next.server(), last.server()) && Objects.equals(next.ownerEpoch(), last.ownerEpoch())
        && !last.status().isTerminal() && next.status().allowedPredecessors().contains(last.status())
        && carriesNoEndDetails(last) && next.channel() == null
        && (next.status() != CallState.COMPLETED || next.answeredAt() != null
            || chain.stream().anyMatch(step -> step.status() == CallState.ANSWERED));
  }

  private static boolean carriesNoEndDetails(TransitionCommand step) {
    return step.failureReason() == null && step.hangupCause() == null && step.hangupCauseText() == null
        && step.answeredAt() == null && !step.endTimeApproximate();
  }
}
