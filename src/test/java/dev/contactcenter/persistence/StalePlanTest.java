package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabasePoolSettings;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The transition statements are planned once per connection. A plan made while {@code calls} was nearly empty
 * reads the whole table at every execution once it has grown; autovacuum's analyse would replace it, but a busy
 * database can put that off for minutes (here it is switched off). The pool replaces its connections after their
 * lifetime, so the statements are planned again on the table as it is.
 */
@DisplayName("Transition plans made on an empty calls table do not outlive the pool's connection lifetime")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StalePlanTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private static final int LIFETIME_SECONDS = 2;
  private static final int GROWN_TO = 20_000;
  private static final int ROUNDS = 20;
  private static final int CALLS_PER_ROUND = 3;

  private Vertx vertx;

  @AfterEach
  void close() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("planned on 3 calls, then 20,000 calls arrive: the next 20 batches use the primary key, not a scan")
  void plansAreRemadeAfterTheTableGrows() throws Exception {
    String db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "ALTER TABLE calls SET (autovacuum_enabled = false)");
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
    insertCalls(db, 1, CALLS_PER_ROUND);
    vertx = Vertx.vertx();
    PersistenceVerticle persistence = new PersistenceVerticle(DatabaseUrl.parse(db),
        DatabasePoolSettings.ofSize(4).withLifetime(LIFETIME_SECONDS));
    String deployment = vertx.deployVerticle(persistence).await();

    // Planned now, on a table of three calls: a sequential scan is the cheapest plan there.
    round(persistence, 1, CallState.DIALING);
    insertCalls(db, CALLS_PER_ROUND + 1, GROWN_TO);
    TestDatabase.execute(db, "SELECT pg_stat_reset()");
    Thread.sleep((LIFETIME_SECONDS + 2) * 1000L);

    for (int round = 0; round < ROUNDS; round++) {
      round(persistence, CALLS_PER_ROUND + 1 + round * CALLS_PER_ROUND, CallState.DIALING);
    }
    // A backend sends its table counters when it ends at the latest: stop the pools, then read them.
    vertx.undeploy(deployment).await();
    long seqScans = waitForCounters(db);

    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'dialing'"))
        .isEqualTo((ROUNDS + 1L) * CALLS_PER_ROUND);
    assertThat(seqScans).as("sequential scans of calls (a table of %,d rows) in %d transition batches", GROWN_TO,
        ROUNDS).isLessThan(ROUNDS / 4);
  }

  /** {@link #CALLS_PER_ROUND} calls from {@code first} on, sent in one turn of the verticle: one batch statement. */
  private void round(PersistenceVerticle persistence, int first, CallState to) {
    List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
    persistence.ownContext().runOnContext(v -> {
      for (int i = first; i < first + CALLS_PER_ROUND; i++) {
        TransitionCommand command = TransitionCommand.of(callId(i), to, T0, "test");
        replies.add(vertx.eventBus().<JsonObject>request(CALLS_TRANSITION, command.toJson()).map(Message::body));
      }
    });
    while (replies.size() < CALLS_PER_ROUND) {
      Thread.onSpinWait();
    }
    Future.all(replies).await();
    assertThat(replies).allSatisfy(r -> assertThat(r.result().getBoolean("applied")).isTrue());
  }

  private static long waitForCounters(String db) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    long scans = 0;
    while (System.currentTimeMillis() < deadline) {
      long lookups = TestDatabase.queryLong(db, "SELECT COALESCE(idx_scan, 0) + seq_scan FROM pg_stat_user_tables"
          + " WHERE relname = 'calls'");
      scans = TestDatabase.queryLong(db, "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'calls'");
      if (lookups >= ROUNDS) {
        return scans;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the batches' reads of calls never reached the statistics (" + scans + " scans)");
  }

  private static void insertCalls(String db, int from, int to) {
    TestDatabase.execute(db, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms)"
        + " SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'alice', '+1555' || i,"
        + " 'outbound-ivr', 's', 1, 30000 FROM generate_series(" + from + ", " + to + ") i");
  }

  private static String callId(int i) {
    return String.format("00000000-0000-0000-0000-%012d", i);
  }
}
