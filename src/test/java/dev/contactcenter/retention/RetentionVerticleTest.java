package dev.contactcenter.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Retention: finished calls older than RETAIN_CALLS_DAYS go, with their events and webhook rows")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RetentionVerticleTest {

  private Vertx vertx;
  private String db;

  /** The endpoint wants only 'busy', which no call here reaches: the trigger enqueues nothing, the tests do. */
  @BeforeEach
  void database() {
    vertx = Vertx.vertx();
    db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
    TestDatabase.execute(db, "INSERT INTO webhook_endpoints (id, owner, url, events, secret)"
        + " VALUES ('00000000-0000-0000-0000-0000000000e1', 'alice', 'https://hooks.example.com/', '{busy}', 's')");
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** {@code count} calls in {@code status}, created {@code daysAgo} days ago, ids with {@code tag} in the number. */
  private void calls(String tag, int count, String status, int daysAgo) {
    TestDatabase.execute(db, "INSERT INTO calls (id, owner, phone_number, status, context, extension, priority,"
        + " timeout_ms, created_at, ended_at)"
        + " SELECT gen_random_uuid(), 'alice', '" + tag + "', '" + status + "', 'outbound-ivr', 's', 1, 30000,"
        + " now() - interval '" + daysAgo + " days' - i * interval '1 second',"
        + " CASE WHEN '" + status + "' IN ('completed', 'failed') THEN now() - interval '" + daysAgo + " days' END"
        + " FROM generate_series(1, " + count + ") i");
    TestDatabase.execute(db, "INSERT INTO call_events (call_id, from_status, to_status, source, at)"
        + " SELECT id, 'pending', status, 'test', created_at FROM calls WHERE phone_number = '" + tag + "'");
  }

  private void deliveries(String tag, String state) {
    TestDatabase.execute(db, "INSERT INTO webhook_deliveries (webhook_id, endpoint_id, stream, owner, call_id,"
        + " event_id, url, payload, state)"
        + " SELECT 'msg_' || e.id, '00000000-0000-0000-0000-0000000000e1', 'e1', 'alice', c.id, e.id,"
        + " 'https://hooks.example.com/', '{}', '" + state + "'"
        + " FROM calls c JOIN call_events e ON e.call_id = c.id WHERE c.phone_number = '" + tag + "'");
    TestDatabase.execute(db, "INSERT INTO webhook_attempts (delivery_id, status_code, latency_ms)"
        + " SELECT d.id, 200, 5 FROM webhook_deliveries d JOIN calls c ON c.id = d.call_id"
        + " WHERE c.phone_number = '" + tag + "'");
  }

  private long count(String table, String tag) {
    String join = switch (table) {
      case "calls" -> "calls c";
      case "call_events" -> "call_events x JOIN calls c ON c.id = x.call_id";
      default -> table + " x JOIN calls c ON c.id = x.call_id";
    };
    return TestDatabase.queryLong(db, "SELECT count(*) FROM " + join + " WHERE c.phone_number = '" + tag + "'");
  }

  private RetentionVerticle deploy(int days, int batch) {
    RetentionVerticle retention = new RetentionVerticle(DatabaseUrl.parse(db), new RetentionSettings(days, batch, 1,
        3_600_000));
    vertx.deployVerticle(retention).await();
    return retention;
  }

  @Test
  @DisplayName("old finished calls are deleted in batches with their rows; recent, active and undelivered ones stay")
  void deletesOnlyOldFinishedCalls() {
    calls("old-done", 23, "completed", 40);
    deliveries("old-done", "delivered");
    calls("old-failed", 7, "failed", 31);
    calls("old-active", 3, "ringing", 40);
    calls("old-undelivered", 2, "completed", 40);
    deliveries("old-undelivered", "pending");
    calls("recent", 5, "completed", 29);
    long attemptsBefore = TestDatabase.queryLong(db, "SELECT count(*) FROM webhook_attempts");

    RetentionVerticle retention = deploy(30, 4);
    long deleted = retention.firstPass().await();

    assertThat(deleted).as("23 + 7 old finished calls, 4 per batch").isEqualTo(30);
    assertThat(count("calls", "old-done")).isZero();
    assertThat(count("calls", "old-failed")).isZero();
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM call_events e"
        + " WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = e.call_id)")).isZero();
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM call_events")).isEqualTo(3 + 2 + 5);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM webhook_deliveries")).as("pending ones only")
        .isEqualTo(2);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM webhook_attempts"))
        .isEqualTo(attemptsBefore - 23);
    assertThat(count("calls", "old-active")).as("a call in progress is never deleted").isEqualTo(3);
    assertThat(count("calls", "old-undelivered")).as("webhooks still due").isEqualTo(2);
    assertThat(count("calls", "recent")).isEqualTo(5);
    assertThat(retention.deleted()).isEqualTo(30);

    // Once the deliveries finish, the next pass takes those calls too.
    TestDatabase.execute(db, "UPDATE webhook_deliveries SET state = 'delivered'");
    assertThat(retention.runPass().await()).isEqualTo(2);
    assertThat(count("calls", "old-undelivered")).isZero();
  }

  @Test
  @DisplayName("a call row locked by live traffic is skipped, not waited for; the next pass takes it")
  void skipsLockedRowsInsteadOfWaiting() throws Exception {
    calls("old-done", 10, "completed", 40);
    DatabaseUrl url = DatabaseUrl.parse(db);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SELECT id FROM calls WHERE phone_number = 'old-done' ORDER BY created_at LIMIT 1 FOR UPDATE");

      RetentionVerticle retention = deploy(30, 3);
      long started = System.nanoTime();
      assertThat(retention.firstPass().await()).isEqualTo(9);
      assertThat((System.nanoTime() - started) / 1_000_000).as("did not wait for the lock").isLessThan(5_000);
      assertThat(count("calls", "old-done")).isEqualTo(1);

      c.rollback();
      assertThat(retention.runPass().await()).isEqualTo(1);
      assertThat(count("calls", "old-done")).isZero();
    }
  }

  @Test
  @DisplayName("nothing is deleted while RETAIN_CALLS_DAYS keeps the calls (cut-off not reached)")
  void keepsCallsYoungerThanTheCutOff() {
    calls("kept", 5, "completed", 40);
    RetentionVerticle retention = deploy(41, 100);
    assertThat(retention.firstPass().await()).isZero();
    assertThat(count("calls", "kept")).isEqualTo(5);
  }
}
