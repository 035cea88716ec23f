package dev.contactcenter.persistence;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Gathers the call transitions that arrive within one turn of the persistence event loop (and while the statements
 * already sent are busy) into one multi-row guarded statement: one round trip and one commit for many transitions.
 * A call appears at most once per statement; its later transitions wait for the next one, in arrival order, so a
 * call's transitions are still applied in the order they were sent. Each future completes after the commit.
 *
 * <p>When a statement fails with an error of the database (not its absence), each of its transitions is tried again
 * alone, so one transition the database refuses never fails the others. Confined to the verticle's context.
 */
final class TransitionBatcher {

  static final int MAX_BATCH = 512;
  /** Statements in flight at once; transitions arriving meanwhile make the next statement bigger. */
  static final int MAX_IN_FLIGHT = 2;
  /**
   * While a statement is in flight, a second one is sent only for this many waiting transitions: fewer wait for the
   * first one's end and join the next statement, so a fast database does not turn every turn of the loop into a
   * statement (each costs PostgreSQL a commit and a statement-level trigger run whatever its size). With nothing in
   * flight a statement goes at once, so a lone transition never waits.
   */
  static final int SECOND_STATEMENT_MIN = 16;

  private record Pending(TransitionStatements.Transition transition, Promise<Optional<JsonObject>> done) {
  }

  private final Context context;
  private final TransitionStatements database;
  private List<Pending> pending = new ArrayList<>();
  /** Calls with a transition in a statement not finished yet: their next ones wait, so order per call holds. */
  private final Set<UUID> busy = new HashSet<>();
  private boolean flushScheduled;
  private int inFlight;
  private long sent;
  private long submitted;

  TransitionBatcher(Context context, TransitionStatements statements) {
    this.context = context;
    this.database = statements;
  }

  /** The updated call plus {@code previous_status} once committed, or empty when the guard refused it. */
  Future<Optional<JsonObject>> submit(TransitionStatements.Transition transition) {
    Promise<Optional<JsonObject>> done = Promise.promise();
    pending.add(new Pending(transition, done));
    scheduleFlush();
    return done.future();
  }

  /** Statements sent and transitions submitted so far: their ratio is the mean batch size. */
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
      Set<UUID> inBatch = new HashSet<>();
      for (Pending p : pending) {
        // A call in a statement in flight, already in this one, or with an earlier transition held back waits.
        UUID id = p.transition().id();
        if (batch.size() < MAX_BATCH && !busy.contains(id) && inBatch.add(id)) {
          batch.add(p);
        } else {
          inBatch.add(id);
          later.add(p);
        }
      }
      pending = later;
      if (batch.isEmpty()) {
        return;
      }
      batch.forEach(p -> busy.add(p.transition().id()));
      send(batch, true);
    }
  }

  private void send(List<Pending> batch, boolean splitOnRefusal) {
    inFlight++;
    sent++;
    submitted += batch.size();
    database.apply(batch.stream().map(Pending::transition).toList()).onComplete(result -> {
      inFlight--;
      if (splitOnRefusal && result.failed() && batch.size() > 1 && result.cause() instanceof PgException) {
        // The calls stay busy until their single statements finish.
        batch.forEach(p -> send(List.of(p), false));
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        Pending p = batch.get(i);
        busy.remove(p.transition().id());
        if (result.succeeded()) {
          p.done().complete(Optional.ofNullable(result.result()[i]));
        } else {
          p.done().fail(result.cause());
        }
      }
      scheduleFlush();
    });
  }
}
