package dev.contactcenter.bench;

import static dev.contactcenter.bench.Bench.fmt;
import static dev.contactcenter.bench.Bench.values;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Admission control (issue 12), sandbox, same run: (1) the immediate path's added latency — one call in flight
 * against a service without limits (today's path) and one whose server has a limit it never reaches (each call asks
 * the server's dispatcher first); (2) pacing accuracy — a burst far over {@code max_calls_per_second}, the dial
 * times (the sandbox's channel creation) read back: the worst one-second window against the limit, and the
 * achieved rate.
 */
final class DispatchScenario {

  private static final int LIMIT = 50;

  private final Bench bench;
  private final Report report;

  DispatchScenario(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  void run() throws Exception {
    String load0 = Machine.loadAverage();
    List<Double> today = new ArrayList<>();
    List<Double> admitted = new ArrayList<>();
    List<Double> today99 = new ArrayList<>();
    List<Double> admitted99 = new ArrayList<>();
    try (Service plain = bench.scenarioService("dispatch-none", null, Map.of("SANDBOX_TIME_SCALE", "0"));
        Service limited = bench.scenarioService("dispatch-limited", null, Map.of("SANDBOX_TIME_SCALE", "0",
            "ARI_MAX_CONCURRENT_CALLS", "100000"));
        Load a = new Load("127.0.0.1", plain.port(), 8);
        Load b = new Load("127.0.0.1", limited.port(), 8)) {
      Supplier<Load.Request> toA = originate("Bearer " + plain.adminToken());
      Supplier<Load.Request> toB = originate("Bearer " + limited.adminToken());
      a.closedLoop(1, bench.seconds(3, 1), toA);
      b.closedLoop(1, bench.seconds(3, 1), toB);
      // Alternating runs, so a change of the machine's load hits both sides alike.
      for (int i = 0; i < bench.runs; i++) {
        Load.Result ra = a.closedLoop(1, bench.seconds(5, 1), toA);
        Load.Result rb = b.closedLoop(1, bench.seconds(5, 1), toB);
        today.add(ra.p50Ms());
        admitted.add(rb.p50Ms());
        today99.add(ra.p99Ms());
        admitted99.add(rb.p99Ms());
      }
    }
    String l = load0 + "→" + Machine.loadAverage();
    String name = "dispatch: immediate path, 1 call in flight, sandbox";
    report.add(name, "p50 originate, no limits (today's path)", values(today), "ms", "", null, l);
    report.add(name, "p50 originate, limited server with free capacity", values(admitted), "ms", "", null, l);
    double[] added = new double[today.size()];
    for (int i = 0; i < added.length; i++) {
      added[i] = admitted.get(i) - today.get(i);
    }
    report.add(name, "added p50 latency (admission round trip)", added, "ms", "", null, l);
    report.add(name, "p99 originate, no limits / limited", new double[] {median(today99), median(admitted99)}, "ms",
        "", null, l);

    pacing();
  }

  private void pacing() throws Exception {
    String load0 = Machine.loadAverage();
    int calls = bench.smoke ? 100 : 500;
    try (Service svc = bench.scenarioService("dispatch-pacing", null, Map.of("SANDBOX_TIME_SCALE", "0",
        "ARI_MAX_CALLS_PER_SECOND", Integer.toString(LIMIT), "DISPATCH_POLL_MS", "250"));
        Load load = new Load("127.0.0.1", svc.port(), 64)) {
      Supplier<Load.Request> busy = originate("Bearer " + svc.adminToken());
      Load.Result submitted = load.closedLoop(64, 60_000, calls, busy);
      long stuck = awaitDrained(svc.databaseUrl(), 60_000 + calls * 1000L / LIMIT);
      if (stuck > 0) {
        report.fail(fmt("dispatch pacing: %d call(s) still active or queued", stuck));
      }
      List<Instant> dialed = new ArrayList<>();
      try (Connection c = Pg.connect(svc.databaseUrl()); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT dialed_at FROM calls WHERE dialed_at IS NOT NULL ORDER BY 1")) {
        while (rs.next()) {
          dialed.add(rs.getTimestamp(1).toInstant());
        }
      }
      if (dialed.size() != submitted.ok()) {
        report.fail(fmt("dispatch pacing: %d accepted, %d dialled", submitted.ok(), dialed.size()));
      }
      int worst = worstSecond(dialed);
      double achieved = dialed.size() < 2 ? 0
          : (dialed.size() - 1) / ((dialed.get(dialed.size() - 1).toEpochMilli() - dialed.get(0).toEpochMilli()) / 1000.0);
      String l = load0 + "→" + Machine.loadAverage();
      String name = fmt("dispatch: %d calls at once, max_calls_per_second=%d, sandbox", (int) submitted.ok(), LIMIT);
      report.add(name, "worst 1-s window (dials)", worst, "", "≤ " + LIMIT, worst <= LIMIT, l);
      report.add(name, "achieved dial rate", achieved, "/s", "", null, l);
      report.add(name, "accept p50 (answered queued)", submitted.p50Ms(), "ms", "", null, l);
    }
  }

  /** Waits until no call is queued or in progress; the number left at the timeout. */
  private static long awaitDrained(String databaseUrl, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    long left;
    do {
      left = Pg.queryLong(databaseUrl, "SELECT count(*) FROM calls WHERE status = 'queued' OR status IN " + Pg.ACTIVE);
      if (left == 0) {
        return 0;
      }
      Service.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    return left;
  }

  private static Supplier<Load.Request> originate(String auth) {
    return () -> new Load.Request(HttpMethod.POST, "/api/v2/calls", auth, "application/json",
        Buffer.buffer("{\"phone_number\":\"" + Scenarios.number(1) + "\"}"), null);
  }

  static int worstSecond(List<Instant> sorted) {
    int max = 0;
    int from = 0;
    for (int to = 0; to < sorted.size(); to++) {
      while (sorted.get(to).toEpochMilli() - sorted.get(from).toEpochMilli() >= 1000) {
        from++;
      }
      max = Math.max(max, to - from + 1);
    }
    return max;
  }

  private static double median(List<Double> values) {
    return Samples.median(values(values));
  }
}
