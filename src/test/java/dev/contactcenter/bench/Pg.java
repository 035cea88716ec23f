package dev.contactcenter.bench;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The benchmark's own PostgreSQL (the same embedded binaries the service ships), a fresh database per scenario,
 * and the JDBC queries the harness checks results with. The service reaches it as an external DATABASE_URL.
 */
public final class Pg implements AutoCloseable {

  static final String ACTIVE = dev.contactcenter.calls.CallState.activeSqlList();

  private EmbeddedDatabase server;
  private final Path dir;
  private int databases;

  private Pg(EmbeddedDatabase server, Path dir) {
    this.server = server;
    this.dir = dir;
  }

  public static Pg start(Path dir) throws IOException {
    EmbeddedDatabase server = EmbeddedDatabase.start(dir);
    if (PgStats.enabled()) {
      int port = server.port();
      PgStats.preload(server.url());
      server.close();
      server = EmbeddedDatabase.start(dir, port);
    }
    return new Pg(server, dir);
  }

  public DatabaseUrl adminUrl() {
    return server.url();
  }

  /** Pid of the postmaster (its backends are its children), from postmaster.pid; -1 if unknown. */
  long postmasterPid() {
    try {
      return Long.parseLong(java.nio.file.Files.readAllLines(dir.resolve("postgres/postmaster.pid")).get(0).trim());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** A database outage: PostgreSQL stopped for {@code millis}, then started again on the same port. */
  void outage(long millis) throws IOException {
    int port = server.port();
    server.close();
    Service.sleep(millis);
    server = EmbeddedDatabase.start(dir, port);
  }

  /** A new, empty database; its {@code postgresql://} URL. */
  public String freshDatabase(String label) {
    String name = "bench_" + label.replaceAll("[^A-Za-z0-9_]", "_") + "_" + (++databases);
    DatabaseUrl admin = server.url();
    try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return DatabaseUrl.of("127.0.0.1", server.port(), name, admin.user(), admin.password()).reactiveUri();
  }

  static Connection connect(String databaseUrl) throws SQLException {
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  static long queryLong(String databaseUrl, String sql) {
    try (Connection c = connect(databaseUrl); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  static void execute(String databaseUrl, String sql) {
    try (Connection c = connect(databaseUrl); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** Final row of a call as the checks need it. */
  record CallRow(String status, Integer duration, long answeredToEndMs, long storeLagMs) {
  }

  /** Every call of the database by id. */
  static Map<String, CallRow> calls(String databaseUrl) {
    String sql = "SELECT id::text, status, duration_seconds,"
        + " (extract(epoch FROM (ended_at - answered_at)) * 1000)::bigint,"
        + " (extract(epoch FROM (updated_at - ended_at)) * 1000)::bigint FROM calls";
    Map<String, CallRow> rows = new HashMap<>();
    try (Connection c = connect(databaseUrl); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        long talk = rs.getLong(4);
        boolean noTalk = rs.wasNull();
        long lag = rs.getLong(5);
        boolean noLag = rs.wasNull();
        int duration = rs.getInt(3);
        rows.put(rs.getString(1), new CallRow(rs.getString(2), rs.wasNull() ? null : duration,
            noTalk ? -1 : talk, noLag ? -1 : lag));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return rows;
  }

  /** Waits until no call is active any more, or the timeout; the number still active. */
  static long awaitSettled(String databaseUrl, long timeoutMillis) {
    return settle(databaseUrl, timeoutMillis).stillActive();
  }

  /** When the polls first saw no call in progress, and how many a full check then still found. */
  record Settled(long atNanos, long stillActive) {
  }

  /**
   * Waits until no call is in progress. The poll reads the partial index of unended calls on one connection every
   * few milliseconds, so the moment it notes is within a poll of the last end (a count of the whole table took
   * over 100 ms at the ingest scenario's sizes, inside its timed window); the count by status, which would also see
   * an active call wrongly marked ended, runs once after that moment.
   */
  static Settled settle(String databaseUrl, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    long settledAt = System.nanoTime();
    try (Connection c = connect(databaseUrl);
        PreparedStatement unended = c.prepareStatement(
            "SELECT count(*) FROM calls WHERE ended_at IS NULL AND status IN " + ACTIVE)) {
      while (true) {
        long active;
        try (ResultSet rs = unended.executeQuery()) {
          rs.next();
          active = rs.getLong(1);
        }
        settledAt = System.nanoTime();
        if (active == 0 || System.currentTimeMillis() >= deadline) {
          break;
        }
        Service.sleep(5);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("polling for calls in progress", e);
    }
    long active;
    do {
      active = queryLong(databaseUrl, "SELECT count(*) FROM calls WHERE status IN " + ACTIVE);
      if (active == 0) {
        break;
      }
      Service.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    return new Settled(settledAt, active);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
