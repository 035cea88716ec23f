package dev.contactcenter.persistence;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Call transitions applied many per statement ({@link StatementBatcher}): a call appears at most once per statement,
 * its later transitions waiting for the next one in arrival order, so a call's transitions are still applied in the
 * order they were sent.
 */
final class TransitionBatcher {

  static final int MAX_BATCH = 512;

  private final StatementBatcher<TransitionStatements.Transition, JsonObject> batcher;

  TransitionBatcher(Context context, TransitionStatements statements) {
    this.batcher = new StatementBatcher<>(context, statements::apply, TransitionStatements.Transition::id, MAX_BATCH);
  }

  /** The updated call plus {@code previous_status} once committed, or empty when the guard refused it. */
  Future<Optional<JsonObject>> submit(TransitionStatements.Transition transition) {
    return batcher.submit(transition).map(Optional::ofNullable);
  }

  /** Statements sent and transitions submitted so far: their ratio is the mean batch size. */
  long statements() {
    return batcher.statements();
  }

  long submitted() {
    return batcher.submitted();
  }
}
