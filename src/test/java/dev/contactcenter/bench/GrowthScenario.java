package dev.contactcenter.bench;

import static dev.contactcenter.bench.Bench.fmt;
import static dev.contactcenter.bench.Bench.values;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Data growth (issue 15): status reads, cursor listing and the reconciliation of active calls at start, with 1,000
 * rows in calls and with 10,000,000 (seeded with generate_series), ratio taken within the same run; the p99 of
 * status reads while the retention job deletes old calls. (The restart with 10,000 active calls: ScaleScenario.)
 */
final class GrowthScenario {

  /**
   * Reads and cursors are taken among calls younger than 29 days at the scenario's start (a fixed bound, so that
   * the count of them does not move with the clock), so the retention phase never deletes them.
   */
  private String recent;
  private static final int RETAIN_DAYS = 30;

  private final Bench bench;
  private final Report report;

  GrowthScenario(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  void run() throws Exception {
    String load0 = Machine.loadAverage();
    int small = 1_000;
    int large = bench.smoke ? 20_000 : 10_000_000;
    int active = bench.smoke ? 100 : 1_000;
    String dbSmall = bench.pg.freshDatabase("rows-small");
    recent = "created_at > to_timestamp(" + (System.currentTimeMillis() / 1000 - 29L * 86_400) + ")";
    String dbLarge = bench.pg.freshDatabase("rows-large");
    // The first start migrates and creates the admin that owns the seeded calls; seeded with the services stopped,
    // once per invocation: every run below measures the same rows.
    try (Service a = bench.service("rows-small", dbSmall, Map.of());
        Service b = bench.service("rows-large", dbLarge, Map.of())) {
      // (started for their migrations and admin only)
    }
    seed(dbSmall, small);
    long t0 = System.nanoTime();
    seed(dbLarge, large);
    report.note(fmt("rows: seeded %,d calls rows in %.1f s, load %s (one INSERT … generate_series, spread over 116"
        + " days, no timeline rows, indexes and foreign keys built after the load; then VACUUM ANALYZE, CHECKPOINT)",
        large, (System.nanoTime() - t0) / 1e9, Machine.loadAverage()));

    // Reconciliation at start: the same number of active calls in both databases, whose channels are gone
    // (the sandbox lives in the service's JVM), settled by the restarted service. Alternating small/large.
    double[] settleSmall = new double[bench.runs];
    double[] settleLarge = new double[bench.runs];
    Service a = null;
    Service b = null;
    for (int i = 0; i < bench.runs; i++) {
      close(a);
      close(b);
      a = null;
      b = null;
      ScaleScenario.seedActive(dbSmall, active);
      ScaleScenario.seedActive(dbLarge, active);
      long started = System.nanoTime();
      a = bench.service("rows-small", dbSmall, Map.of());
      settleSmall[i] = settled("rows-small", dbSmall, started);
      started = System.nanoTime();
      b = bench.service("rows-large", dbLarge, Map.of());
      settleLarge[i] = settled("rows-large", dbLarge, started);
    }
    try (Service svcA = a; Service svcB = b;
        Load loadA = new Load("127.0.0.1", svcA.port(), 32);
        Load loadB = new Load("127.0.0.1", svcB.port(), 32)) {
      String l = load0 + "→" + Machine.loadAverage();
      String what = fmt("start with %,d active calls", active);
      report.add(fmt("%s, %,d rows in calls", what, small), "jar start → all settled", settleSmall, "s", "", null, l);
      report.add(fmt("%s, %,d rows in calls", what, large), "jar start → all settled", settleLarge, "s", "", null, l);
      report.add(fmt("%s, %,d vs %,d rows", what, large, small), "ratio (same run)", ratios(settleLarge, settleSmall),
          "×", "≤ 2×", Samples.median(ratios(settleLarge, settleSmall)) <= 2, l);

      compare("status read", loadA, loadB, reads(dbSmall, svcA), reads(dbLarge, svcB), small, large);
      compare("list 20 calls at a cursor", loadA, loadB, pages(dbSmall, svcA), pages(dbLarge, svcB), small, large);
      duringRetention(svcB, loadB, reads(dbLarge, svcB), large);
    }
  }

  /** The same request mix on both services, alternately, after a warm-up; p50 and p99, and the ratio per pair. */
  private void compare(String what, Load loadA, Load loadB, Supplier<Load.Request> onA, Supplier<Load.Request> onB,
      int small, int large) {
    String load0 = Machine.loadAverage();
    loadA.closedLoop(32, bench.seconds(10, 1), onA);
    loadB.closedLoop(32, bench.seconds(10, 1), onB);
    double[] p50Small = new double[bench.runs];
    double[] p99Small = new double[bench.runs];
    double[] p50Large = new double[bench.runs];
    double[] p99Large = new double[bench.runs];
    for (int i = 0; i < bench.runs; i++) {
      Load.Result ra = loadA.closedLoop(32, bench.seconds(5, 1), onA);
      Load.Result rb = loadB.closedLoop(32, bench.seconds(5, 1), onB);
      checkNoErrors(what, ra);
      checkNoErrors(what, rb);
      p50Small[i] = ra.p50Ms();
      p99Small[i] = ra.p99Ms();
      p50Large[i] = rb.p50Ms();
      p99Large[i] = rb.p99Ms();
    }
    String l = load0 + "→" + Machine.loadAverage();
    report.add(fmt("%s, %,d rows in calls", what, small), "p50 / p99", p50Small,
        fmt("ms / %.2f ms", Samples.median(p99Small)), "", null, l);
    report.add(fmt("%s, %,d rows in calls", what, large), "p50 / p99", p50Large,
        fmt("ms / %.2f ms", Samples.median(p99Large)), "", null, l);
    double[] ratio = ratios(p50Large, p50Small);
    report.add(fmt("%s, %,d vs %,d rows", what, large, small), "p50 ratio (same run)", ratio, "×", "≤ 2×",
        Samples.median(ratio) <= 2, l);
  }

  /**
   * Status reads on the large database, first alone, then after a restart of the same node with
   * RETAIN_CALLS_DAYS=30 (about three quarters of the seeded calls are older), while its retention job deletes them.
   * The same node serves and deletes: a second node on the same Asterisk server would stand by (not ready).
   */
  private void duringRetention(Service svc, Load load, Supplier<Load.Request> reads, int large) throws Exception {
    String load0 = Machine.loadAverage();
    double[] p99Alone = new double[bench.runs];
    double[] p99During = new double[bench.runs];
    for (int i = 0; i < bench.runs; i++) {
      Load.Result r = load.closedLoop(32, bench.seconds(5, 1), reads);
      checkNoErrors("status read before retention", r);
      p99Alone[i] = r.p99Ms();
    }
    String db = svc.databaseUrl();
    svc.close();
    long recentBefore = Pg.queryLong(db, "SELECT count(*) FROM calls WHERE " + recent);
    long before = Pg.queryLong(db, "SELECT count(*) FROM calls");
    long t0 = System.nanoTime();
    try (Service retention = bench.service("rows-retention", db,
        Map.of("RETAIN_CALLS_DAYS", Integer.toString(RETAIN_DAYS)));
        Load during = new Load("127.0.0.1", retention.port(), 32)) {
      Supplier<Load.Request> readsDuring = reads(db, retention);
      for (int i = 0; i < bench.runs; i++) {
        Load.Result r = during.closedLoop(32, bench.seconds(5, 1), readsDuring);
        checkNoErrors("status read during retention", r);
        p99During[i] = r.p99Ms();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long deleted = before - Pg.queryLong(db, "SELECT count(*) FROM calls");
      String l = load0 + "→" + Machine.loadAverage();
      String name = fmt("status read, %,d rows, retention deleting on the same node", large);
      report.add(name, "p99 while retention runs", p99During, fmt("ms (before it: %.2f ms)", Samples.median(p99Alone)),
          "(measure)", null, l);
      report.add(name, "calls deleted (from the node's start)", deleted / seconds,
          fmt("calls/s (%,d in %.0f s)", deleted, seconds), "", null, l);
      if (deleted == 0) {
        report.note("rows: the retention job deleted nothing while the reads were measured (too few rows?)");
      }
      long recentLeft = Pg.queryLong(db, "SELECT count(*) FROM calls WHERE " + recent);
      if (recentLeft != recentBefore) {
        report.fail(fmt("rows: retention deleted calls younger than %d days (%,d left of %,d)", RETAIN_DAYS,
            recentLeft, recentBefore));
      }
    }
  }

  /** Seconds from {@code startedNanos} until no call is active; a call still active after 120 s fails the run. */
  private double settled(String what, String db, long startedNanos) {
    long left = Pg.awaitSettled(db, 120_000);
    if (left > 0) {
      report.fail(fmt("%s: %,d active calls not reconciled 120 s after the start", what, left));
    }
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  private static double[] ratios(double[] large, double[] small) {
    double[] ratio = new double[large.length];
    for (int i = 0; i < large.length; i++) {
      ratio[i] = large[i] / small[i];
    }
    return ratio;
  }

  private void checkNoErrors(String what, Load.Result r) {
    if (r.failed() > 0) {
      report.fail(fmt("%s: %,d of %,d requests failed", what, r.failed(), r.ok() + r.failed()));
    }
  }

  private static void close(Service svc) {
    if (svc != null) {
      svc.close();
    }
  }

  /**
   * {@code count} finished calls spread evenly over the last 116 days (10,000,000 seconds), whatever the count, with
   * the service stopped. One server-side INSERT … SELECT generate_series into the table without its indexes (and
   * without per-row triggers: the owner exists, and the usage counters of the calls are then folded in as migration
   * V11 does for calls already stored), the indexes and the foreign keys on calls built afterwards by a sort each,
   * exactly as the migrations define them; then VACUUM ANALYZE and a CHECKPOINT, so that every measurement finds the
   * table vacuumed, analyzed and written out. What the reads, cursors, reconciliation and retention meet is the
   * same table as after row-by-row inserts: the same rows, indexes, constraints, statistics; no timeline rows.
   */
  private static void seed(String db, int count) throws SQLException {
    long step = 10_000_000L / count;
    try (Connection c = Pg.connect(db); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("SET LOCAL maintenance_work_mem = '256MB'");
      s.execute("SET LOCAL session_replication_role = replica");
      List<String> recreate = new ArrayList<>();
      List<String> drop = new ArrayList<>();
      // Foreign keys that reference calls (also from calls itself) go with its primary key: dropped first,
      // recreated last (validated against the loaded rows).
      try (ResultSet rs = s.executeQuery("SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass,"
          + " conname), format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,"
          + " pg_get_constraintdef(oid)) FROM pg_constraint WHERE contype = 'f' AND confrelid = 'calls'::regclass")) {
        while (rs.next()) {
          drop.add(rs.getString(1));
          recreate.add(0, rs.getString(2));
        }
      }
      // Indexes of calls: those backing a constraint (primary key, unique) as constraints, the others as indexes.
      try (ResultSet rs = s.executeQuery("SELECT CASE WHEN k.conname IS NULL"
          + " THEN format('DROP INDEX %s', i.indexrelid::regclass)"
          + " ELSE format('ALTER TABLE calls DROP CONSTRAINT %I', k.conname) END,"
          + " CASE WHEN k.conname IS NULL THEN pg_get_indexdef(i.indexrelid)"
          + " ELSE format('ALTER TABLE calls ADD CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid)) END"
          + " FROM pg_index i LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
          + " AND k.contype IN ('p', 'u')"
          + " WHERE i.indrelid = 'calls'::regclass ORDER BY k.contype = 'p' DESC")) {
        while (rs.next()) {
          drop.add(rs.getString(1));
          recreate.add(0, rs.getString(2));
        }
      }
      String schema = schemaOfCalls(s);
      for (String sql : drop) {
        s.execute(sql);
      }
      s.execute("INSERT INTO calls (id, owner, phone_number, status, context, extension, priority, timeout_ms,"
          + " channel_id, created_at, dialed_at, ringing_at, answered_at, ended_at, duration_seconds, hangup_cause,"
          + " hangup_cause_text, updated_at)"
          + " SELECT u, 'admin', '+1555' || lpad((i % 10000000)::text, 7, '0'), 'completed', 'outbound-ivr', 's', 1,"
          + " 30000, u::text, t, t, t + interval '1 second', t + interval '2 seconds', t + interval '32 seconds', 30,"
          + " 16, 'Normal Clearing', t + interval '32 seconds'"
          + " FROM (SELECT i, gen_random_uuid() AS u, now() - i * interval '" + step + " seconds' AS t"
          + " FROM generate_series(1, " + count + ") i) g");
      // The primary key first (recreate is in reverse order of the drops): the foreign keys need it.
      for (String sql : recreate) {
        s.execute(sql);
      }
      if (!schemaOfCalls(s).equals(schema)) {
        throw new IllegalStateException("seeding changed the indexes or constraints of calls: " + schemaOfCalls(s)
            + " instead of " + schema);
      }
      s.execute("SET LOCAL session_replication_role = origin");
      // What the skipped calls_usage_inserted trigger would have left, as V11 counts calls stored before it.
      s.execute("INSERT INTO user_usage_changes (username, active_delta, created_minute, created_calls)"
          + " SELECT owner, CASE WHEN status IN " + Pg.ACTIVE + " THEN 1 ELSE 0 END,"
          + " CASE WHEN created_at > now() - interval '1 day 1 minute' THEN date_trunc('minute', created_at) END,"
          + " CASE WHEN created_at > now() - interval '1 day 1 minute' THEN 1 ELSE 0 END"
          + " FROM calls WHERE status IN " + Pg.ACTIVE + " OR created_at > now() - interval '1 day 1 minute'");
      c.commit();
    }
    Pg.execute(db, "VACUUM ANALYZE calls");
    Pg.execute(db, "CHECKPOINT");
  }

  /** Every index of calls and every constraint on or referencing it, by definition. */
  private static String schemaOfCalls(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT string_agg(d, E'\\n' ORDER BY d) FROM ("
        + " SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index WHERE indrelid = 'calls'::regclass"
        + " UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
        + " FROM pg_constraint WHERE conrelid = 'calls'::regclass OR confrelid = 'calls'::regclass) x")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** A sample of up to 20,000 calls of the database (recent ones), as (created_at, id). */
  private List<Object[]> sample(String db) throws SQLException {
    long rows = Pg.queryLong(db, "SELECT count(*) FROM calls");
    double percent = Math.min(100, 100.0 * 40_000 / Math.max(1, rows));
    List<Object[]> out = new ArrayList<>();
    try (Connection c = Pg.connect(db); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id::text, created_at FROM calls TABLESAMPLE SYSTEM (" + percent + ")"
            + " WHERE " + recent + " LIMIT 20000")) {
      while (rs.next()) {
        out.add(new Object[] {rs.getString(1), rs.getObject(2, OffsetDateTime.class)});
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("no calls to sample in " + db);
    }
    return out;
  }

  /** GET /api/v2/calls/{id} of random recent calls. */
  private Supplier<Load.Request> reads(String db, Service svc) throws Exception {
    List<Object[]> rows = sample(db);
    String auth = "Bearer " + svc.adminToken();
    return () -> Load.Request.get("/api/v2/calls/" + rows.get(ThreadLocalRandom.current().nextInt(rows.size()))[0],
        auth);
  }

  /** GET /api/v2/calls?limit=20&cursor=… at random positions: the cursor the service would issue for that row. */
  private Supplier<Load.Request> pages(String db, Service svc) throws Exception {
    List<String> cursors = new ArrayList<>();
    for (Object[] row : sample(db)) {
      String raw = row[1] + "|" + row[0];
      cursors.add(Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8)));
    }
    String auth = "Bearer " + svc.adminToken();
    return () -> Load.Request.get("/api/v2/calls?limit=20&cursor="
        + cursors.get(ThreadLocalRandom.current().nextInt(cursors.size())), auth);
  }
}
