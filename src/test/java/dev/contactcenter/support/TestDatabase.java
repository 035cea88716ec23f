package dev.contactcenter.support;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real embedded PostgreSQL for the whole test JVM (stopped by a shutdown hook), and a fresh, empty database
 * in it for each caller: tests are isolated and every one starts from migrations on an empty database.
 */
public final class TestDatabase {

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static EmbeddedDatabase server;

  private TestDatabase() {
  }

  /** A new empty database, as a {@code postgresql://} URL for DATABASE_URL. */
  public static synchronized String freshDatabaseUrl() {
    try {
      if (server == null) {
        Path dir = Files.createTempDirectory("cc-test-pg");
        server = EmbeddedDatabase.start(dir);
        EmbeddedDatabase started = server;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            started.close();
          } catch (Exception ignored) {
            // JVM exit.
          }
          TempDirs.deleteRecursively(dir);
        }));
      }
      String name = "test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
      DatabaseUrl admin = server.url();
      try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      return DatabaseUrl.of("127.0.0.1", server.port(), name, admin.user(), admin.password()).reactiveUri();
    } catch (Exception e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
  }

  /** Runs a statement in the given database: for test set-up and assertions only (the service never does this). */
  public static void execute(String databaseUrl, String sql) {
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A single long from a query, e.g. a count. */
  public static long queryLong(String databaseUrl, String sql) {
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A single text from a query, or null when there is no row. */
  /**
   * The whole plan of a query (every line: a bitmap scan names its index on the second), with sequential scans
   * priced out so a small test table cannot hide whether an index matches the query.
   */
  public static String explain(String databaseUrl, String sql) {
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement()) {
      s.execute("SET enable_seqscan = off");
      StringBuilder plan = new StringBuilder();
      try (var rs = s.executeQuery("EXPLAIN " + sql)) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String queryString(String databaseUrl, String sql) {
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
        Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
