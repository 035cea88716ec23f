package dev.contactcenter.persistence;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.pgclient.PgException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Gathers the requests that arrive within one turn of the persistence event loop (while the statements already sent
 * are busy, and under load for {@link #GATHER_MS} more) into one multi-row statement: one round trip and one commit
 * for many. Requests with the same key never share a statement: the later one waits for the next, in arrival order
 * (a request without a key never waits). Each future completes after the commit, with the statement's result for its
 * row.
 *
 * <p>When a statement fails with an error of the database (not its absence), each of its requests is tried again
 * alone, so one row the database refuses never fails the others. Confined to the verticle's context.
 *
 * @param <I> a request (one row of the statement)
 * @param <O> the statement's result for one row
 */
final class StatementBatcher<I, O> {

  /** Statements in flight at once; requests arriving meanwhile make the next statement bigger. */
  static final int MAX_IN_FLIGHT = 2;
  /**
   * While a statement is in flight, a second one is sent only for this many waiting requests: fewer wait for the
   * first one's end and join the next statement, so a fast database does not turn every turn of the loop into a
   * statement (each costs PostgreSQL a commit and a statement-level trigger run whatever its size). With nothing in
   * flight a statement goes at once (under load, after {@link #GATHER_MS}), so a lone request never waits long.
   */
  static final int SECOND_STATEMENT_MIN = 16;
  /**
   * Under load (the last request came less than {@link #BUSY_WINDOW_NANOS} after the one before it), fewer than
   * {@link #SECOND_STATEMENT_MIN} requests wait up to this long for company before a statement goes with nothing in
   * flight: each statement costs PostgreSQL a commit, an executor start and a run of the statement triggers whatever
   * its size (about as much as two to four rows: bench/db-cost.sh), so at a few hundred requests a second and more the
   * wait buys fewer, fuller statements. The wait ends as soon as {@link #SECOND_STATEMENT_MIN} requests wait: past
   * that, waiting only holds back the requests' senders. A request arriving after a quiet spell still goes at once.
   */
  static final long GATHER_MS = 3;
  static final long BUSY_WINDOW_NANOS = 5_000_000;

  private record Pending<I, O>(I request, Object key, Promise<O> done) {
  }

  private final Context context;
  private final Function<List<I>, Future<O[]>> statement;
  private final Function<I, Object> keyOf;
  private final int maxBatch;
  private final long busyWindowNanos;
  private List<Pending<I, O>> pending = new ArrayList<>();
  /** Keys in a statement not finished yet: a request with the same key waits, so order per key holds. */
  private final Set<Object> busy = new HashSet<>();
  private boolean flushScheduled;
  /** The gather wait's timer while one runs, else -1: it ends early once enough requests wait. */
  private long gatherTimer = -1;
  /** When the last request arrived (System.nanoTime), 0 before the first, and whether it came soon after the one before. */
  private long lastArrivalNanos;
  private boolean arrivingClosely;
  private int inFlight;
  private long sent;
  private long submitted;

  /**
   * {@code statement} runs a batch in one statement, element i of its result being row i's; {@code keyOf} names the
   * key two requests must not share a statement with (null: none); at most {@code maxBatch} rows per statement.
   */
  StatementBatcher(Context context, Function<List<I>, Future<O[]>> statement, Function<I, Object> keyOf,
      int maxBatch) {
    this(context, statement, keyOf, maxBatch, BUSY_WINDOW_NANOS);
  }

  /** As above, with the gap between two requests under which the later one counts as load (tests). */
  StatementBatcher(Context context, Function<List<I>, Future<O[]>> statement, Function<I, Object> keyOf,
      int maxBatch, long busyWindowNanos) {
    this.busyWindowNanos = busyWindowNanos;
    this.context = context;
    this.statement = statement;
    this.keyOf = keyOf;
    this.maxBatch = maxBatch;
  }

  /** The statement's result for this request's row, once committed. */
  Future<O> submit(I request) {
    Promise<O> done = Promise.promise();
    long now = System.nanoTime();
    arrivingClosely = lastArrivalNanos != 0 && now - lastArrivalNanos < busyWindowNanos;
    lastArrivalNanos = now;
    pending.add(new Pending<>(request, keyOf.apply(request), done));
    scheduleFlush();
    return done.future();
  }

  /** Statements sent and requests submitted so far: their ratio is the mean batch size. */
  long statements() {
    return sent;
  }

  long submitted() {
    return submitted;
  }

  private void scheduleFlush() {
    if (gatherTimer != -1 && pending.size() >= SECOND_STATEMENT_MIN && context.owner().cancelTimer(gatherTimer)) {
      gatherTimer = -1;
      flushScheduled = false;
    }
    if (!flushScheduled && inFlight < MAX_IN_FLIGHT && !pending.isEmpty()) {
      flushScheduled = true;
      if (inFlight == 0 && pending.size() < SECOND_STATEMENT_MIN && arrivingClosely) {
        gatherTimer = context.owner().setTimer(GATHER_MS, id -> {
          gatherTimer = -1;
          flushScheduled = false;
          flush();
        });
        return;
      }
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
      List<Pending<I, O>> batch = new ArrayList<>();
      List<Pending<I, O>> later = new ArrayList<>();
      Set<Object> inBatch = new HashSet<>();
      for (Pending<I, O> p : pending) {
        // A key in a statement in flight, already in this one, or held back for an earlier request waits.
        Object key = p.key();
        if (batch.size() < maxBatch && (key == null || !busy.contains(key) && inBatch.add(key))) {
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

  private void send(List<Pending<I, O>> batch, boolean splitOnRefusal) {
    inFlight++;
    sent++;
    submitted += batch.size();
    statement.apply(batch.stream().map(Pending::request).toList()).onComplete(result -> {
      inFlight--;
      if (splitOnRefusal && result.failed() && batch.size() > 1 && result.cause() instanceof PgException) {
        // Rolled back as a whole: each request alone, its key staying busy until its own statement finishes.
        batch.forEach(p -> send(List.of(p), false));
        return;
      }
      for (int i = 0; i < batch.size(); i++) {
        Pending<I, O> p = batch.get(i);
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
