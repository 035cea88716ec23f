package dev.contactcenter.persistence;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.Optional;

/**
 * Call transitions applied many per statement ({@link StatementBatcher}): a call appears at most once per statement
 * (with one transition or a chain of them), its later transitions waiting for the next one in arrival order, so a
 * call's transitions are still applied in the order they were sent.
 */
final class TransitionBatcher {

  static final int MAX_BATCH = 512;

  private final StatementBatcher<TransitionStatements.Chain, TransitionStatements.Stored> batcher;

  TransitionBatcher(Context context, TransitionStatements statements) {
    this.batcher = new StatementBatcher<>(context, statements::applyChains, TransitionStatements.Chain::id,
        MAX_BATCH);
  }

  /**
   * The call as stored after the chain, once committed, or empty when the guard refused the chain's first step.
   */
  Future<Optional<TransitionStatements.Stored>> submit(TransitionStatements.Chain chain) {
    return batcher.submit(chain).map(Optional::ofNullable);
  }

  /** Statements sent and transitions submitted so far: their ratio is the mean batch size. */
  long statements() {
    return batcher.statements();
  }

  long submitted() {
    return batcher.submitted();
  }
}
