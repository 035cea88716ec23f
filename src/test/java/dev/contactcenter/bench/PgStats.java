package dev.contactcenter.bench;

import dev.contactcenter.config.DatabaseUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-statement PostgreSQL cost of a scenario, opt-in with BENCH_PG_STATS=1: pg_stat_statements (preloaded by
 * {@link #preload}, which restarts the bench's PostgreSQL once), trigger functions (track_functions), row updates
 * (HOT or not), WAL and commits, printed per operation. Off by default: the extension costs CPU itself.
 */
public final class PgStats {

  public static boolean enabled() {
    return "1".equals(System.getenv("BENCH_PG_STATS"));
  }

  /** Settings that take effect at the next start of the server (postgresql.auto.conf). */
  static void preload(DatabaseUrl admin) {
    run(admin, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'",
        "ALTER SYSTEM SET track_functions = 'all'");
  }

  /** The database's own counters when {@link #reset} was called, per key of {@link #counters}. */
  private static Map<String, double[]> baseline = Map.of();

  /**
   * Starts every counter read by {@link #print} from here. The database's own counters are noted, not zeroed:
   * pg_stat_reset() would also zero the row-change counts that tell autovacuum when to analyse and vacuum, and the
   * measured window would then run without either.
   */
  public static void reset(DatabaseUrl admin, String databaseUrl) {
    // Statements run by trigger functions too (marked 'nested'; their time is also in their top-level statement's).
    run(admin, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        "ALTER SYSTEM SET pg_stat_statements.track = 'all'", "ALTER SYSTEM SET pg_stat_statements.track_planning = on",
        "SELECT pg_reload_conf()",
        "SELECT pg_stat_statements_reset()",
        "SELECT pg_stat_reset_shared('wal')");
    try (Connection c = Pg.connect(databaseUrl)) {
      baseline = counters(c);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Trigger functions ("f:" name: calls, total ms, self ms), tables ("t:" name: inserted, updated, HOT-updated,
   * deleted rows) and the database ("d": commits, rollbacks), as counted since the server started.
   */
  private static Map<String, double[]> counters(Connection c) throws SQLException {
    Map<String, double[]> counters = new TreeMap<>();
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_stat_clear_snapshot()");
      read(s, "SELECT 'f:' || funcname, calls, total_time, self_time FROM pg_stat_user_functions", counters);
      read(s, "SELECT 't:' || relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables",
          counters);
      read(s, "SELECT 'd', xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()",
          counters);
    }
    return counters;
  }

  private static void read(Statement s, String sql, Map<String, double[]> into) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      int columns = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        double[] values = new double[columns - 1];
        for (int i = 0; i < values.length; i++) {
          values[i] = rs.getDouble(i + 2);
        }
        into.put(rs.getString(1), values);
      }
    }
  }

  /** {@link #counters} now, less the {@link #baseline}. */
  private static Map<String, double[]> sinceReset(Connection c) throws SQLException {
    Map<String, double[]> now = counters(c);
    now.forEach((key, values) -> {
      double[] before = baseline.get(key);
      for (int i = 0; before != null && i < values.length; i++) {
        values[i] -= before[i];
      }
    });
    return now;
  }

  /** Prints the statements, trigger functions, table updates, WAL and commits of the database, per operation. */
  public static void print(String label, DatabaseUrl admin, String databaseUrl, long ops) {
    String db = DatabaseUrl.parse(databaseUrl).database();
    StringBuilder out = new StringBuilder("bench: pg stats, " + label + ", per operation (" + ops + " ops)\n");
    try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT calls, total_exec_time + total_plan_time, plans, wal_bytes, shared_blks_hit,"
            + " CASE WHEN toplevel THEN '' ELSE 'nested: ' END || left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements"
            + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '" + db + "')"
            + " ORDER BY total_exec_time DESC LIMIT 30")) {
      out.append(String.format("  %9s %9s %9s %9s %9s %8s  %s%n", "calls/op", "µs/op", "µs/call", "plans/op",
          "WAL B/op", "hits/op", "statement (µs: execution + planning)"));
      while (rs.next()) {
        double calls = rs.getDouble(1);
        double ms = rs.getDouble(2);
        out.append(String.format("  %9.3f %9.1f %9.1f %9.3f %9.0f %8.1f  %s%n", calls / ops, ms * 1000 / ops,
            ms * 1000 / Math.max(1, calls), rs.getDouble(3) / ops, rs.getDouble(4) / ops, rs.getDouble(5) / ops,
            rs.getString(6)));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    try (Connection c = Pg.connect(databaseUrl); Statement s = c.createStatement()) {
      Map<String, double[]> counted = sinceReset(c);
      counted.entrySet().stream().filter(e -> e.getKey().startsWith("f:") && e.getValue()[0] > 0)
          .sorted((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1])).forEach(e -> {
            double[] v = e.getValue();
            out.append(String.format("  function %-36s calls/op %.3f  total µs/op %.1f  self µs/op %.1f%n",
                e.getKey().substring(2), v[0] / ops, v[1] * 1000 / ops, v[2] * 1000 / ops));
          });
      counted.forEach((key, v) -> {
        if (key.startsWith("t:") && v[0] + v[1] + v[3] > 0) {
          out.append(String.format("  table %-24s ins/op %.2f upd/op %.2f hot/op %.2f del/op %.2f%n",
              key.substring(2), v[0] / ops, v[1] / ops, v[2] / ops, v[3] / ops));
        }
      });
      double[] database = counted.getOrDefault("d", new double[2]);
      try (ResultSet rs = s.executeQuery("SELECT wal_bytes, wal_records FROM pg_stat_wal")) {
        rs.next();
        out.append(String.format("  WAL bytes/op %.0f (all databases), WAL records/op %.1f, commits/op %.2f,"
            + " rollbacks/op %.3f%n", rs.getDouble(1) / ops, rs.getDouble(2) / ops, database[0] / ops,
            database[1] / ops));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    System.out.print(out);
  }

  private static void run(DatabaseUrl admin, String... sql) {
    try (Connection c = DriverManager.getConnection(admin.jdbcUrl(), admin.user(), admin.password());
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(String.join("; ", sql), e);
    }
  }

  private PgStats() {
  }
}
