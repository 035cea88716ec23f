package dev.contactcenter.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.support.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Flyway migrations on a fresh database")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MigrationsTest {

  private String url;

  @BeforeEach
  void freshDatabase() {
    url = TestDatabase.freshDatabaseUrl();
  }

  @Test
  @DisplayName("the first migrate creates users, calls, call_events and their indexes; a second applies nothing")
  void migrateCreatesSchemaOnce() throws Exception {
    assertThat(tables()).doesNotContain("users", "calls", "call_events");

    MigrateResult first = Migrations.migrate(DatabaseUrl.parse(url));

    assertThat(first.success).isTrue();
    assertThat(first.migrationsExecuted).isGreaterThanOrEqualTo(1);
    assertThat(tables()).contains("users", "calls", "call_events", "flyway_schema_history");
    assertThat(indexes("calls")).contains("calls_pkey", "calls_owner_created_idx", "calls_created_idx",
        "calls_active_idx", "calls_idempotency_key_per_owner");
    assertThat(indexes("call_events")).contains("call_events_pkey", "call_events_call_idx");
    assertThat(indexes("users")).contains("users_pkey", "users_username_key");
    assertThat(TestDatabase.queryLong(url,
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'calls_active_idx' AND indexdef LIKE '%WHERE%'"))
        .as("calls_active_idx is partial").isEqualTo(1);

    MigrateResult second = Migrations.migrate(DatabaseUrl.parse(url));

    assertThat(second.success).isTrue();
    assertThat(second.migrationsExecuted).isZero();
    assertThat(Migrations.schemaVersion(second)).as("the version logged at a restart, read without flyway.info()")
        .isEqualTo(Migrations.schemaVersion(first)).isEqualTo(TestDatabase.queryString(url, "SELECT version"
            + " FROM flyway_schema_history WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1"));
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM flyway_schema_history WHERE success"))
        .isEqualTo(first.migrationsExecuted);
  }

  @Test
  @DisplayName("the schema enforces what the code relies on: unique usernames, valid roles and statuses, owner FK")
  void constraintsHold() {
    Migrations.migrate(DatabaseUrl.parse(url));
    TestDatabase.execute(url, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");

    assertThatThrownBy(() -> TestDatabase.execute(url, "INSERT INTO users (username, password_hash) VALUES ('alice', 'y')"))
        .hasMessageContaining("duplicate key");
    assertThatThrownBy(() -> TestDatabase.execute(url,
        "INSERT INTO users (username, password_hash, role) VALUES ('bob', 'x', 'root')")).hasMessageContaining("check");
    assertThatThrownBy(() -> TestDatabase.execute(url,
        "INSERT INTO users (username, password_hash) VALUES ('a b', 'x')")).hasMessageContaining("check");
    assertThatThrownBy(() -> TestDatabase.execute(url, "INSERT INTO calls (id, owner, phone_number, context, extension,"
        + " priority, timeout_ms) VALUES (gen_random_uuid(), 'nobody', '+15551234567', 'c', 's', 1, 1000)"))
        .hasMessageContaining("foreign key");
    assertThatThrownBy(() -> TestDatabase.execute(url, "INSERT INTO calls (id, owner, phone_number, context, extension,"
        + " priority, timeout_ms, status) VALUES (gen_random_uuid(), 'alice', '+15551234567', 'c', 's', 1, 1000, 'lost')"))
        .hasMessageContaining("check");
    TestDatabase.execute(url, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms)"
        + " VALUES (gen_random_uuid(), 'alice', '+15551234567', 'c', 's', 1, 1000)");
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM calls WHERE status = 'pending'")).isEqualTo(1);
  }

  @Test
  @DisplayName("references are checked per statement (V22): a timeline row needs its call, a call owner stays, a"
      + " deleted call takes its timeline")
  void referencesHold() {
    Migrations.migrate(DatabaseUrl.parse(url));
    TestDatabase.execute(url, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x'), ('bob', 'x')");
    TestDatabase.execute(url, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms)"
        + " VALUES ('00000000-0000-0000-0000-000000000001', 'alice', '+15551234567', 'c', 's', 1, 1000)");
    assertThatThrownBy(() -> TestDatabase.execute(url, "INSERT INTO calls (id, owner, phone_number, context,"
        + " extension, priority, timeout_ms) VALUES (gen_random_uuid(), 'alice', '+1555', 'c', 's', 1, 1000),"
        + " (gen_random_uuid(), 'carol', '+1555', 'c', 's', 1, 1000)"))
        .as("one unknown owner among several refuses the statement").hasMessageContaining("foreign key")
        .hasMessageContaining("carol");
    assertThatThrownBy(() -> TestDatabase.execute(url, "INSERT INTO call_events (call_id, to_status, source, at)"
        + " VALUES ('00000000-0000-0000-0000-000000000001', 'dialing', 'test', now()),"
        + " ('00000000-0000-0000-0000-000000000009', 'dialing', 'test', now())"))
        .hasMessageContaining("foreign key").hasMessageContaining("00000000-0000-0000-0000-000000000009");
    TestDatabase.execute(url, "INSERT INTO call_events (call_id, to_status, source, at)"
        + " VALUES ('00000000-0000-0000-0000-000000000001', 'dialing', 'test', now())");
    assertThatThrownBy(() -> TestDatabase.execute(url, "DELETE FROM users WHERE username = 'alice'"))
        .hasMessageContaining("owns calls");
    assertThatThrownBy(() -> TestDatabase.execute(url, "UPDATE users SET username = 'alicia' WHERE username = 'alice'"))
        .hasMessageContaining("owns calls");
    TestDatabase.execute(url, "UPDATE users SET username = username, disabled = true WHERE username = 'alice'");
    TestDatabase.execute(url, "UPDATE users SET username = 'robert' WHERE username = 'bob'");
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM users WHERE username = 'robert'"))
        .as("a user without calls is renamed").isEqualTo(1);
    TestDatabase.execute(url, "DELETE FROM users WHERE username = 'robert'");

    TestDatabase.execute(url, "DELETE FROM calls WHERE id = '00000000-0000-0000-0000-000000000001'");
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM call_events")).isZero();
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM users")).isEqualTo(1);

    TestDatabase.execute(url, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms)"
        + " VALUES ('00000000-0000-0000-0000-000000000002', 'alice', '+15551234567', 'c', 's', 1, 1000)");
    TestDatabase.execute(url, "INSERT INTO call_events (call_id, to_status, source, at)"
        + " VALUES ('00000000-0000-0000-0000-000000000002', 'dialing', 'test', now())");
    TestDatabase.execute(url, "TRUNCATE calls CASCADE");
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM call_events")).as("truncated with its calls").isZero();
  }

  private List<String> tables() throws SQLException {
    return strings("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
  }

  private List<String> indexes(String table) throws SQLException {
    return strings("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = '" + table + "'");
  }

  private List<String> strings(String sql) throws SQLException {
    DatabaseUrl db = DatabaseUrl.parse(url);
    List<String> values = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }
}
