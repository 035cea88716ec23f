package dev.contactcenter.persistence;

import dev.contactcenter.calls.CallState;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The call as each step of a stored chain left it, for the publications and answers of its steps. The last step's is
 * the stored row itself. A step before it is never final and carries no end details
 * ({@link dev.contactcenter.bus.TransitionChain#canFollow}), so the call after it is the row as it was before the
 * chain with what the steps up to it set: the times of their states, and the first step's channel.
 */
final class ChainSteps {

  private ChainSteps() {
  }

  /** The call after each step, in order; each with {@code previous_status} (the state before the step). */
  static List<JsonObject> calls(TransitionStatements.Chain chain, TransitionStatements.Stored stored) {
    List<TransitionStatements.Transition> steps = chain.steps();
    List<JsonObject> calls = new ArrayList<>(steps.size());
    JsonObject last = stored.call();
    String previous = last.getString("previous_status");
    // The row before the chain, then each step's own time as the row after it holds it.
    JsonObject progress = last.copy().mergeIn(stored.before());
    if (steps.get(0).channelId() != null) {
      progress.put("channel", last.getValue("channel"));
    }
    for (TransitionStatements.Transition step : steps.subList(0, steps.size() - 1)) {
      String set = timeSetBy(step.to());
      if (set != null) {
        progress.put(set, last.getValue(set));
      }
      calls.add(progress.copy().put("status", step.to().value()).put("is_active", true).put("is_completed", false)
          .put("previous_status", previous));
      previous = step.to().value();
    }
    calls.add(last.put("previous_status", previous));
    return calls;
  }

  /** The call's field a step into {@code state} sets (when not set already), or null. */
  private static String timeSetBy(CallState state) {
    return switch (state) {
      case DIALING -> "dialed_at";
      case RINGING -> "ringing_at";
      case ANSWERED -> "answered_at";
      default -> null;
    };
  }
}
