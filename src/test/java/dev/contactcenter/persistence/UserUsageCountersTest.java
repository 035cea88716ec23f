package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_CREATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@DisplayName("Per-user usage counters (V11): the limits check at creation")
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserUsageCountersTest {

  private static final String HASH = "$2a$04$abcdefghijklmnopqrstuuN0aYcW1x4Q8m2Qx2o0J6b0aZ8q1E3xe";

  private String databaseUrl;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext testContext) {
    databaseUrl = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(databaseUrl));
    TestDatabase.execute(databaseUrl, "INSERT INTO users (username, password_hash) VALUES ('alice', '" + HASH + "'),"
        + " ('bob', '" + HASH + "')");
    vertx.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(databaseUrl), 8))
        .onComplete(testContext.succeedingThenComplete());
  }

  private static Future<JsonObject> create(Vertx vertx, String owner, int concurrent, int daily) {
    JsonObject row = new JsonObject().put("call_id", UUID.randomUUID().toString()).put("owner", owner)
        .put("phone_number", "+15551234567").put("context", "outbound-ivr").put("extension", "s").put("priority", 1)
        .put("timeout", 30000).put("variables", new JsonObject()).put("request_hash", "h")
        .put("limits", new JsonObject().put("concurrent_calls", concurrent).put("calls_per_day", daily));
    return vertx.eventBus().<JsonObject>request(CALLS_CREATE, row).map(Message::body);
  }

  private static long created(List<JsonObject> replies) {
    return replies.stream().filter(r -> r.getBoolean("created")).count();
  }

  private static List<String> refusals(List<JsonObject> replies) {
    return replies.stream().filter(r -> r.containsKey("refused"))
        .map(r -> r.getJsonObject("refused").getString("limit")).distinct().toList();
  }

  @Test
  @DisplayName("30 concurrent creations for the last 5 slots: exactly 5 stored, the others refused by the limit")
  void concurrentCreationsNeverShareTheLastSlot(Vertx vertx, VertxTestContext test) {
    Future.all(IntStream.range(0, 30).mapToObj(i -> create(vertx, "alice", 5, 1000)).toList())
        .map(all -> all.<JsonObject>list())
        .compose(concurrent -> {
          test.verify(() -> {
            assertThat(created(concurrent)).isEqualTo(5);
            assertThat(refusals(concurrent)).containsExactly("concurrent_calls");
            assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM calls WHERE owner = 'alice'"))
                .isEqualTo(5);
          });
          return Future.all(IntStream.range(0, 30).mapToObj(i -> create(vertx, "bob", 1000, 7)).toList());
        })
        .map(all -> all.<JsonObject>list())
        .onComplete(test.succeeding(daily -> test.verify(() -> {
          assertThat(created(daily)).isEqualTo(7);
          assertThat(refusals(daily)).containsExactly("calls_per_day");
          JsonObject refused = daily.stream().filter(r -> r.containsKey("refused")).findFirst().orElseThrow()
              .getJsonObject("refused");
          assertThat(refused.getInteger("limit_value")).isEqualTo(7);
          assertThat(refused.getInteger("retry_after")).isBetween(86_000, 86_400);
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("a call that ends frees its slot; a queued call takes none until it is claimed; retries count per day")
  void countersFollowEveryStatusChange(Vertx vertx, VertxTestContext test) {
    create(vertx, "alice", 2, 1000).compose(first -> create(vertx, "alice", 2, 1000))
        .compose(second -> create(vertx, "alice", 2, 1000))
        .compose(third -> {
          test.verify(() -> assertThat(third.getJsonObject("refused").getString("limit"))
              .isEqualTo("concurrent_calls"));
          // Ended by any statement (here plain SQL, as reconciliation would): the trigger records the change.
          TestDatabase.execute(databaseUrl, "UPDATE calls SET status = 'failed', ended_at = now()"
              + " WHERE id = (SELECT id FROM calls WHERE owner = 'alice' LIMIT 1)");
          return create(vertx, "alice", 2, 1000);
        })
        .compose(afterEnd -> {
          test.verify(() -> assertThat(afterEnd.getBoolean("created")).isTrue());
          TestDatabase.execute(databaseUrl, "INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
              + " timeout_ms, status) VALUES (gen_random_uuid(), 'alice', '+1555', 'c', 's', 1, 1000, 'queued')");
          return create(vertx, "alice", 3, 1000);
        })
        .compose(withQueued -> {
          test.verify(() -> assertThat(withQueued.getBoolean("created")).as("a queued call is not in progress")
              .isTrue());
          TestDatabase.execute(databaseUrl, "UPDATE calls SET status = 'pending', claimed_at = now()"
              + " WHERE owner = 'alice' AND status = 'queued'");
          return create(vertx, "alice", 4, 5);
        })
        .onComplete(test.succeeding(afterClaim -> test.verify(() -> {
          assertThat(afterClaim.getJsonObject("refused").getString("limit")).as("4 in progress after the claim")
              .isEqualTo("concurrent_calls");
          assertThat(TestDatabase.queryLong(databaseUrl, "SELECT active FROM user_usage WHERE username = 'alice'"))
              .isEqualTo(4);
          assertThat(TestDatabase.queryLong(databaseUrl, "SELECT recent FROM user_usage WHERE username = 'alice'"))
              .isEqualTo(5);
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("ending calls while an admission holds the counters waits for nothing and loses nothing")
  void endingCallsNeverWaitsForTheCounters(Vertx vertx, VertxTestContext test) {
    create(vertx, "alice", 2, 1000).compose(first -> create(vertx, "alice", 2, 1000)).compose(second -> {
      test.verify(() -> {
        assertThat(usage("alice")).isEqualTo(2);
        DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
        try (Connection holder = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
            Connection writer = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
            Statement w = writer.createStatement()) {
          holder.setAutoCommit(false);
          holder.createStatement().execute("SELECT 1 FROM user_usage WHERE username = 'alice' FOR UPDATE");
          // An admission holds alice's counters: the statement ending her calls must not wait for its commit.
          w.execute("SET statement_timeout = '3s'");
          assertThat(w.executeUpdate("UPDATE calls SET status = 'failed', ended_at = now() WHERE owner = 'alice'"))
              .isEqualTo(2);
          holder.rollback();
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        assertThat(usage("alice")).isZero();
      });
      return create(vertx, "alice", 2, 1000);
    }).onComplete(test.succeeding(afterEnd -> test.verify(() -> {
      assertThat(afterEnd.getBoolean("created")).as("both slots freed").isTrue();
      assertThat(usage("alice")).isEqualTo(1);
      test.completeNow();
    })));
  }

  /** A user's calls in progress as admission sees them: the counter plus the changes not folded yet. */
  private long usage(String username) {
    return TestDatabase.queryLong(databaseUrl, "SELECT (SELECT active FROM user_usage WHERE username = '" + username
        + "') + COALESCE((SELECT sum(active_delta) FROM user_usage_changes WHERE username = '" + username + "'), 0)");
  }

  /** Per table: scans, rows read (sequentially or through an index), sequential scans so far in this session. */
  private static Map<String, long[]> reads(Statement s) throws SQLException {
    Map<String, long[]> reads = new HashMap<>();
    try (ResultSet read = s.executeQuery("SELECT relname, seq_scan + COALESCE(idx_scan, 0) AS scans,"
        + " seq_tup_read + COALESCE(idx_tup_fetch, 0) AS tuples, seq_scan FROM pg_stat_xact_user_tables"
        + " WHERE relname IN ('calls', 'user_usage_minutes', 'user_usage_changes')")) {
      while (read.next()) {
        reads.put(read.getString("relname"), new long[] {read.getLong("scans"), read.getLong("tuples"),
            read.getLong("seq_scan")});
      }
    }
    return reads;
  }

  @Test
  @DisplayName("the check reads no calls and a bounded number of counter rows, however many calls the user has")
  void costDoesNotGrowWithCalls() throws Exception {
    // 20,000 calls over the last two days, 1,000 of them still in progress.
    TestDatabase.execute(databaseUrl, "INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
        + " timeout_ms, status, created_at, ended_at) SELECT gen_random_uuid(), 'alice', '+1555', 'c', 's', 1, 1000,"
        + " CASE WHEN g % 20 = 0 THEN 'ringing' ELSE 'completed' END, now() - g * interval '8.64 seconds',"
        + " CASE WHEN g % 20 = 0 THEN NULL ELSE now() END FROM generate_series(1, 20000) g");
    long lastDay = TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM calls WHERE owner = 'alice'"
        + " AND created_at > now() - interval '1 day'");
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement()) {
      // The first check folds the 20,000 changes once; each later one reads the counters only.
      s.execute("SELECT * FROM calls_admit('alice', 1000000, 1000000)");
      // What autovacuum does to the folded changes (V11 sets it to run after every 1,000 of them).
      s.execute("VACUUM ANALYZE user_usage_changes, user_usage_minutes");
      c.setAutoCommit(false);
      // pg_stat_xact_* may still hold earlier transactions' unflushed counts: compare before and after the check.
      Map<String, long[]> before = reads(s);
      try (ResultSet admitted = s.executeQuery("SELECT * FROM calls_admit('alice', 1000, 1000000)")) {
        admitted.next();
        assertThat(admitted.getString("refused_limit")).isEqualTo("concurrent_calls");
      }
      Map<String, long[]> after = reads(s);
      assertThat(after.get("calls")[0] - before.get("calls")[0]).as("scans of calls").isZero();
      for (String table : List.of("user_usage_minutes", "user_usage_changes")) {
        assertThat(after.get(table)[1] - before.get(table)[1]).as("rows read from " + table)
            .isLessThanOrEqualTo(1442);
      }
      // V13: through the username index, which skips the dead rows that folds leave between autovacuum runs.
      assertThat(after.get("user_usage_changes")[2] - before.get("user_usage_changes")[2])
          .as("sequential scans of user_usage_changes").isZero();
      c.commit();
    }
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT active FROM user_usage WHERE username = 'alice'"))
        .isEqualTo(1000);
    long recent = TestDatabase.queryLong(databaseUrl, "SELECT recent FROM user_usage WHERE username = 'alice'");
    // Whole minutes: at most one minute's calls (about 7) beyond the exact day.
    assertThat(recent).isBetween(lastDay, lastDay + 8);
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM user_usage_minutes")).isLessThanOrEqualTo(1442);
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM user_usage_changes")).isZero();
  }

  @Test
  @DisplayName("fencing checked once per transaction still refuses an epoch that a bump in the same transaction made stale")
  void fencingOncePerTransaction() throws Exception {
    TestDatabase.execute(databaseUrl, "INSERT INTO asterisk_server_owners (server, owner_node, epoch)"
        + " VALUES ('default', 'n1', 1)");
    TestDatabase.execute(databaseUrl, "INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
        + " timeout_ms) SELECT gen_random_uuid(), 'alice', '+1555', 'c', 's', 1, 1000 FROM generate_series(1, 3)");
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      assertThat(s.executeUpdate("UPDATE calls SET owner_epoch = 1, status = 'dialing'")).isEqualTo(3);
      assertThat(s.executeUpdate("UPDATE calls SET owner_epoch = 1, status = 'ringing'")).isEqualTo(3);
      s.executeUpdate("UPDATE asterisk_server_owners SET epoch = 2 WHERE server = 'default'");
      SQLException stale = assertThrows(SQLException.class,
          () -> s.executeUpdate("UPDATE calls SET owner_epoch = 1, status = 'answered'"));
      assertThat(stale.getSQLState()).isEqualTo("CCF01");
      c.rollback();
      // A new transaction: the bump rolled back, so epoch 2 is the stale one now.
      SQLException unknown = assertThrows(SQLException.class,
          () -> s.executeUpdate("UPDATE calls SET owner_epoch = 2, status = 'dialing'"));
      assertThat(unknown.getSQLState()).isEqualTo("CCF01");
      c.rollback();
    }
  }

  @Test
  @DisplayName("while another admission holds the counters, one far below the limits goes ahead; one near them waits")
  void farBelowTheLimitsDoesNotWait(Vertx vertx, VertxTestContext test) throws Exception {
    TestDatabase.execute(databaseUrl, "INSERT INTO user_usage (username) VALUES ('alice')");
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    Connection holder = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    holder.setAutoCommit(false);
    holder.createStatement().execute("SELECT 1 FROM user_usage WHERE username = 'alice' FOR UPDATE");
    long start = System.nanoTime();
    create(vertx, "alice", 1_000_000, 1_000_000).compose(far -> {
      test.verify(() -> {
        assertThat(far.getBoolean("created")).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(5);
      });
      Future<JsonObject> near = create(vertx, "alice", 5, 1_000_000);
      vertx.setTimer(1_000, id -> test.verify(() -> {
        assertThat(near.isComplete()).as("near the limit: waits for the counters").isFalse();
        try {
          holder.rollback();
          holder.close();
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }));
      return near;
    }).onComplete(test.succeeding(near -> test.verify(() -> {
      assertThat(near.getBoolean("created")).isTrue();
      assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM calls WHERE owner = 'alice'")).isEqualTo(2);
      test.completeNow();
    })));
  }

  @Test
  @DisplayName("far below the limits an admission leaves a few changes unfolded; past 16 of them, or near a limit, it folds")
  void foldsOnlyWhenItMatters() {
    ringing("alice", 10);
    assertThat(admit("alice", 1000, 1000)).isNull();
    assertThat(unfolded("alice")).as("10 changes, far below the limits: counted, not folded").isEqualTo(10);
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT active FROM user_usage WHERE username = 'alice'")).isZero();

    ringing("alice", 60);
    assertThat(admit("alice", 1000, 1000)).isNull();
    assertThat(unfolded("alice")).as("70 changes: folded").isZero();
    assertThat(TestDatabase.queryString(databaseUrl, "SELECT active || '/' || recent FROM user_usage"
        + " WHERE username = 'alice'")).isEqualTo("70/70");

    // 75 in progress with 5 unfolded: one more would pass a limit of 75, so the admission folds and decides exactly.
    ringing("alice", 5);
    assertThat(admit("alice", 75, 1000)).isEqualTo("concurrent_calls");
    assertThat(admit("alice", 76, 1000)).isNull();
    TestDatabase.execute(databaseUrl, "UPDATE calls SET status = 'completed', ended_at = now() WHERE owner = 'alice'");
    assertThat(unfolded("alice")).as("one statement ending 75 calls: one change").isEqualTo(1);
    assertThat(usage("alice")).isZero();
    // The batch admission keeps the same rule, call by call in arrival order.
    assertThat(TestDatabase.queryString(databaseUrl, "SELECT string_agg(COALESCE(refused_limit, '-'), ',' ORDER BY n)"
        + " FROM calls_admit_batch(ARRAY['alice', 'alice'], ARRAY['pending', 'pending'], ARRAY[1000, 1000],"
        + " ARRAY[76, 76])")).isEqualTo("-,calls_per_day");
  }

  @Test
  @DisplayName("a statement's calls make one change per owner (and minute created), and the counters stay exact")
  void changesPerStatementAndOwner() {
    TestDatabase.execute(databaseUrl, "INSERT INTO users (username, password_hash) VALUES ('carol', '" + HASH + "')");
    // 12 calls of three owners in one statement, over two minutes; bob's are queued (not in progress) or ended.
    TestDatabase.execute(databaseUrl, "INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
        + " timeout_ms, status, created_at, ended_at) SELECT gen_random_uuid(),"
        + " (ARRAY['alice', 'bob', 'carol'])[g % 3 + 1], '+1555', 'c', 's', 1, 1000,"
        + " CASE WHEN g % 3 <> 1 THEN 'ringing' WHEN g % 2 = 0 THEN 'queued' ELSE 'completed' END,"
        + " date_trunc('minute', now()) - (g % 2) * interval '1 minute',"
        + " CASE WHEN g % 3 = 1 AND g % 2 = 1 THEN now() END FROM generate_series(1, 12) g");
    assertThat(TestDatabase.queryString(databaseUrl, "SELECT string_agg(username || ':' || active_delta || ':'"
        + " || created_calls, ',' ORDER BY username, created_minute) FROM user_usage_changes"))
        .isEqualTo("alice:2:2,alice:2:2,bob:0:2,bob:0:2,carol:2:2,carol:2:2");

    // One statement: alice's calls end (leave progress), bob's queued ones start (enter), carol's move within it.
    TestDatabase.execute(databaseUrl, "UPDATE calls SET status = CASE owner WHEN 'alice' THEN 'busy'"
        + " WHEN 'bob' THEN 'pending' ELSE 'answered' END WHERE status IN ('ringing', 'queued')");
    assertThat(TestDatabase.queryString(databaseUrl, "SELECT string_agg(username || ':' || active_delta, ','"
        + " ORDER BY username) FROM user_usage_changes WHERE created_minute IS NULL")).isEqualTo("alice:-4,bob:2");

    for (String owner : List.of("alice", "bob", "carol")) {
      // Each owner created 4 calls today: at a daily limit of 4 the admission folds and refuses on exact counts.
      assertThat(admit(owner, 1000, 4)).as(owner).isEqualTo("calls_per_day");
      assertThat(TestDatabase.queryString(databaseUrl, "SELECT active || '/' || recent FROM user_usage"
          + " WHERE username = '" + owner + "'")).as(owner).isEqualTo(TestDatabase.queryString(databaseUrl,
              "SELECT count(*) FILTER (WHERE status IN ('pending', 'dialing', 'ringing', 'answered')) || '/'"
                  + " || count(*) FROM calls WHERE owner = '" + owner + "'"));
    }
    assertThat(TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM user_usage_changes")).isZero();
  }

  /** calls_admit's refused limit for one call of {@code owner}, null when admitted. */
  private String admit(String owner, int concurrent, int daily) {
    return TestDatabase.queryString(databaseUrl, "SELECT refused_limit FROM calls_admit('" + owner + "', "
        + concurrent + ", " + daily + ")");
  }

  /** Inserts {@code count} ringing calls of {@code owner}, one statement each: one usage change each. */
  private void ringing(String owner, int count) {
    TestDatabase.execute(databaseUrl, String.join(";", Collections.nCopies(count,
        "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms, status)"
            + " VALUES (gen_random_uuid(), '" + owner + "', '+1555', 'c', 's', 1, 1000, 'ringing')")));
  }

  private long unfolded(String owner) {
    return TestDatabase.queryLong(databaseUrl, "SELECT count(*) FROM user_usage_changes WHERE username = '"
        + owner + "'");
  }
}
