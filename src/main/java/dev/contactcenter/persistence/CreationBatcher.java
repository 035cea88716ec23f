package dev.contactcenter.persistence;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Call creations admitted and inserted many per statement ({@link StatementBatcher}), the owners' usage folded once
 * per statement instead of once per call. Requests with the same (owner, idempotency key) never share a statement:
 * the later one waits for the next, so the unique index decides against the committed first call and the later
 * request replays it.
 */
final class CreationBatcher {

  /** Calls per statement; V15's calls_admit_batch counts on no statement holding more. */
  static final int MAX_BATCH = 256;

  private final StatementBatcher<JsonObject, CreationStatements.Outcome> batcher;

  CreationBatcher(Context context, CreationStatements statements) {
    this.batcher = new StatementBatcher<>(context, statements::insert, CreationBatcher::idempotencyKey, MAX_BATCH);
  }

  private static Object idempotencyKey(JsonObject call) {
    String key = call.getString("idempotency_key");
    return key == null ? null : call.getString("owner") + '\n' + key;
  }

  /** The call's outcome once committed: inserted, refused by a limit, or its key used already. */
  Future<CreationStatements.Outcome> submit(JsonObject call) {
    return batcher.submit(call);
  }

  /** Statements sent and creations submitted so far: their ratio is the mean batch size. */
  long statements() {
    return batcher.statements();
  }

  long submitted() {
    return batcher.submitted();
  }
}
