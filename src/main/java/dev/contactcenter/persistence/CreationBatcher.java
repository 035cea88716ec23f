package dev.contactcenter.persistence;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Gathers the call creations that arrive within one turn of the persistence event loop (and while the statements
 * already sent are busy) into one statement that admits and inserts them all: one round trip and one commit, the
 * owners' usage folded once per statement instead of once per call. Requests with the same (owner, idempotency
 * key) never share a statement: the later one waits for the next, so the unique index decides against the
 * committed first call and the later request replays it. Each future completes after the commit.
 *
 * <p>When a statement fails with an error of the database (not its absence), each of its calls is tried again
 * alone, so one call the database refuses never fails the others. Confined to the verticle's context.
 */
final class CreationBatcher {

  /** Calls per statement; V15's calls_admit_batch counts on no statement holding more. */
  static final int MAX_BATCH = 256;
  /** Statements in flight at once; creations arriving meanwhile make the next statement bigger. */
  static final int MAX_IN_FLIGHT = 2;
  /**
   * While a statement is in flight, a second one is sent only for this many waiting creations: fewer wait for the
   * first one's end and join the next statement, so a fast database does not turn every turn of the loop into a
   * statement (each costs PostgreSQL a commit and a statement-level trigger run whatever its size). With nothing in
   * flight a statement goes at once, so a lone creation never waits.
   */
  static final int SECOND_STATEMENT_MIN = 16;

  private record Pending(JsonObject call, String key, Promise<CreationStatements.Outcome> done) {
  }

  private final Context context;
  private final CreationStatements database;
  private List<Pending> pending = new ArrayList<>();
  /** (owner, idempotency key) pairs in a statement not finished yet: a request with the same pair waits. */
  private final Set<String> busy = new HashSet<>();
  private boolean flushScheduled;
  private int inFlight;
  private long sent;
  private long submitted;

  CreationBatcher(Context context, CreationStatements statements) {
    this.context = context;
    this.database = statements;
  }

  /** The call's outcome once committed: inserted, refused by a limit, or its key used already. */
  Future<CreationStatements.Outcome> submit(JsonObject call) {
    Promise<CreationStatements.Outcome> done = Promise.promise();
    String idempotencyKey = call.getString("idempotency_key");
    String key = idempotencyKey == null ? null : call.getString("owner") + '\n' + idempotencyKey;
    pending.add(new Pending(call, key, done));
    scheduleFlush();
    return done.future();
  }

  /** Statements sent and creations submitted so far: their ratio is the mean batch size. */
  long statements() {
    return sent;
  }

  long submitted() {
    return submitted;
  }

  private void scheduleFlush() {
    if (!flushScheduled && inFlight < MAX_IN_FLIGHT && !pending.isEmpty()) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        flush();
      });
    }
  }

  private void flush() {
    while (inFlight < MAX_IN_FLIGHT && !pending.isEmpty()) {
      if (inFlight > 0 && pending.size() < SECOND_STATEMENT_MIN) {
        return;
      }
      List<Pending> batch = new ArrayList<>();
      List<Pending> later = new ArrayList<>();
      Set<String> inBatch = new HashSet<>();
      for (Pending p : pending) {
        // A key in a statement in flight, already in this one, or held back for an earlier request waits.
        String key = p.key();
        if (batch.size() < MAX_BATCH && (key == null || !busy.contains(key) && inBatch.add(key))) {
          batch.add(p);
        } else {
          if (key != null) {
            inBatch.add(key);
          }
          later.add(p);
        }
      }
      pending = later;
      if (batch.isEmpty()) {
        return;
      }
      batch.forEach(p -> {
        if (p.key() != null) {
          busy.add(p.key());
        }
      });
      send(batch, true);
    }
  }

  private void send(List<Pending> batch, boolean splitOnRefusal) {
    inFlight++;
    sent++;
    submitted += batch.size();
    database.insert(batch.stream().map(Pending::call).toList()).onComplete(result -> {
      inFlight--;
      if (splitOnRefusal && result.failed() && batch.size() > 1 && result.cause() instanceof PgException) {
        // Rolled back as a whole: each call alone, its key staying busy until its own statement finishes.
        batch.forEach(p -> send(List.of(p), false));
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        Pending p = batch.get(i);
        if (p.key() != null) {
          busy.remove(p.key());
        }
        if (result.succeeded()) {
          p.done().complete(result.result()[i]);
        } else {
          p.done().fail(result.cause());
        }
      }
      scheduleFlush();
    });
  }
}
