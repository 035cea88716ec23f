package dev.contactcenter.bench;

import static dev.contactcenter.bench.Bench.fmt;
import static dev.contactcenter.bench.Bench.values;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** The scenarios of the issue, each one service (or several) on its own fresh database. */
final class Scenarios {

  /** Reference service (the seed's FastAPI implementation) on this machine, as given in the issue. */
  static final double REFERENCE_STATUS_RPS = 200;
  static final double REFERENCE_ORIGINATE_PER_S = 57.5;
  /** Talk time of the freshness calls: the bench-callee answers and hangs up this many seconds later. */
  static final int TALK_SECONDS = 2;
  /**
   * Asterisk's Answer() returns only after the first media frame or 500 ms (channel.c, __ast_answer); a Local
   * channel sends none, so the callee hangs up TALK_SECONDS + 0.5 s after its answer: the true duration.
   */
  static final long TRUE_TALK_MS = TALK_SECONDS * 1000L + 500;
  static final String BENCH_ENDPOINT = "Local/{digits}@bench-callee/n";
  /**
   * Calls in flight for the per-process CPU rows of the Asterisk scenario, whatever level the throughput ramp picks:
   * PostgreSQL's cost per call falls as more transitions share a statement, so two runs (or two commits) compare
   * only at the same level.
   */
  static final int COST_IN_FLIGHT = 32;
  /** Most 10 s warm-up windows of the ingest and asterisk scenarios. */
  static final int WARM_UP_WINDOWS = 10;
  /** The JIT compiler's share of the service's CPU in a 10 s window below which the JVM counts as warm. */
  static final double JIT_SETTLED_SHARE = 0.03;
  /** Most 10 s JIT-settling windows of the status, ingest and asterisk scenarios. */
  static final int JIT_WINDOWS = 18;

  private final Bench bench;
  private final Report report;

  Scenarios(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  // ---------------------------------------------------------------- status reads

  void statusReads() throws Exception {
    String load0 = Machine.loadAverage();
    try (Service svc = bench.scenarioService("status", "sandbox-fast", SANDBOX_FAST)) {
      String auth = "Bearer " + svc.adminToken();
      List<String> ids = createCalls(svc, auth, 100);
      try (Load load = new Load("127.0.0.1", svc.port(), 32)) {
        Supplier<Load.Request> read = () -> Load.Request.get(
            "/api/v2/calls/" + ids.get(ThreadLocalRandom.current().nextInt(ids.size())), auth);
        load.closedLoop(32, bench.seconds(10, 1), read);
        settleJit("status reads", svc, load, read, 32);
        List<Double> rps = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        double[] cpuStart = bench.cpu(svc);
        long reads = 0;
        for (int i = 0; i < bench.runs; i++) {
          double cpu0 = svc.cpuSeconds();
          Load.Result r = load.closedLoop(32, bench.seconds(10, 1), read);
          reads += r.ok();
          cpu.add((svc.cpuSeconds() - cpu0) * 1e6 / r.ok());
          checkNoErrors("status", r);
          rps.add(r.perSecond());
          p50.add(r.p50Ms());
          p99.add(r.p99Ms());
        }
        report.note("status reads: CPU per request, µs: " + Bench.cpuPerOp(cpuStart, bench.cpu(svc), reads, false));
        String l = load0 + "→" + Machine.loadAverage();
        double target = 20 * REFERENCE_STATUS_RPS;
        report.add("status reads (32 conn.)", "requests/s", values(rps), "",
            fmt("≥ %,.0f (20× ref. %,.0f)", target, REFERENCE_STATUS_RPS), Samples.median(values(rps)) >= target, l);
        report.add("status reads (32 conn.)", "p50", values(p50), "ms", "", null, l);
        report.add("status reads (32 conn.)", "service CPU per request", values(cpu), "µs", "", null, l);
        report.add("status reads (32 conn.)", "p99", values(p99), "ms", "< 10 ms (ref. 220–640 ms)",
            Samples.median(values(p99)) < 10, l);
      }
    }
  }

  // ---------------------------------------------------------------- origination, sandbox

  void originateSandbox() throws Exception {
    String load0 = Machine.loadAverage();
    try (Service svc = bench.scenarioService("originate", "sandbox-fast", SANDBOX_FAST)) {
      String db = svc.databaseUrl();
      // Spread over several users as ingest is: one user's 1,000 calls/s limit would otherwise be the figure.
      List<String> tokens = svc.newUserAuths("Bearer " + svc.adminToken(), "originate-user", INGEST_USERS);
      Map<String, String> accepted = new ConcurrentHashMap<>();
      AtomicLong seq = new AtomicLong();
      Supplier<Load.Request> originate = () -> {
        long n = seq.incrementAndGet();
        int digit = (int) (n % 10);
        return originateRequest(tokens.get((int) (n % INGEST_USERS)), number(digit), null, accepted,
            sandboxOutcome(digit));
      };
      try (Load load = new Load("127.0.0.1", svc.port(), 512)) {
        load.closedLoop(16, bench.seconds(10, 1), originate);
        int best = ramp("originate (sandbox)", load, originate, bench.smoke ? new int[] {4, 16} : new int[] {4, 8, 16, 32, 64, 128});
        List<Double> rate = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        if (PgStats.enabled()) {
          PgStats.reset(bench.pg.adminUrl(), db);
        }
        double[] cpuStart = bench.cpu(svc);
        long calls = 0;
        for (int i = 0; i < bench.runs; i++) {
          double cpu0 = svc.cpuSeconds();
          Load.Result r = load.closedLoop(best, bench.seconds(10, 1), originate);
          calls += r.ok();
          cpu.add((svc.cpuSeconds() - cpu0) * 1e6 / r.ok());
          checkNoErrors("originate (sandbox)", r);
          rate.add(r.perSecond());
          p50.add(r.p50Ms());
          p99.add(r.p99Ms());
        }
        report.note("originate, sandbox: CPU per call (service includes its ARI sandbox), µs: "
            + Bench.cpuPerOp(cpuStart, bench.cpu(svc), calls, false));
        if (PgStats.enabled()) {
          PgStats.print("originate, per call", bench.pg.adminUrl(), db, calls);
        }
        String l = load0 + "→" + Machine.loadAverage();
        String name = "originate, sandbox (" + best + " in flight)";
        double target = 10 * REFERENCE_ORIGINATE_PER_S;
        report.add(name, "calls/s", values(rate), "", fmt("≥ %,.0f (10× ref. 55–60)", target),
            Samples.median(values(rate)) >= target, l);
        report.add(name, "p50", values(p50), "ms", "", null, l);
        report.add(name, "p99", values(p99), "ms", "", null, l);
        report.add(name, "service CPU per call (incl. its sandbox)", values(cpu), "µs", "", null, l);
      }
      verify("originate, sandbox", db, accepted, 60_000, true);
    }
  }

  // ---------------------------------------------------------------- event ingestion

  /**
   * The shared sandbox service of status, originate and ingest (one configuration: in smoke mode they share one
   * service): events at once, and a token limit above the bench's own logins (all from one address, the ingest
   * users' included).
   */
  private static final Map<String, String> SANDBOX_FAST = Map.of("SANDBOX_TIME_SCALE", "0", "TOKEN_RATE_LIMIT", "1000");

  /** Users the ingestion load is spread over: 8 × 1,000 calls/s is above any rate this machine ingests. */
  static final int INGEST_USERS = 8;

  void ingest() throws Exception {
    String load0 = Machine.loadAverage();
    try (Service svc = bench.scenarioService("ingest", "sandbox-fast", SANDBOX_FAST)) {
      String db = svc.databaseUrl();
      String admin = "Bearer " + svc.adminToken();
      // One user may place at most USER_CALLS_PER_SECOND (at most 1,000) calls a second, below what this scenario
      // ingests: the calls come from several users, as many clients would send them, so the figure is ingestion.
      List<String> tokens = svc.newUserAuths(admin, "ingest-user", INGEST_USERS);
      AtomicLong sent = new AtomicLong();
      Map<String, String> accepted = new ConcurrentHashMap<>();
      // Answered calls: dialing, ringing, answered, completed; all but dialing come from ARI events.
      Supplier<Load.Request> originate = () -> originateRequest(
          tokens.get((int) (sent.getAndIncrement() % INGEST_USERS)), number(0), null, accepted, "completed");
      int inFlight = 64;
      try (Load load = new Load("127.0.0.1", svc.port(), 512)) {
        warmUp("event ingestion", load, originate, inFlight);
        settleJit("event ingestion", svc, load, originate, inFlight);
        Pg.awaitSettled(db, 30_000);
        List<Double> perSecond = new ArrayList<>();
        List<Double> calls = new ArrayList<>();
        List<Double> serviceUs = new ArrayList<>();
        List<Double> postgresUs = new ArrayList<>();
        List<Double> jitUs = new ArrayList<>();
        List<Double> drainMs = new ArrayList<>();
        if (PgStats.enabled()) {
          PgStats.reset(bench.pg.adminUrl(), db);
        }
        double[] cpuStart = bench.cpu(svc);
        long transitions = 0;
        for (int i = 0; i < bench.runs; i++) {
          double[] cpuRun = bench.cpu(svc);
          long before = Pg.queryLong(db, "SELECT count(*) FROM call_events");
          long t0 = System.nanoTime();
          Load.Result r = load.closedLoop(inFlight, bench.seconds(10, 1), originate);
          long loadEnd = System.nanoTime();
          Pg.Settled settled = Pg.settle(db, 30_000);
          long stuck = settled.stillActive();
          double seconds = (settled.atNanos() - t0) / 1e9;
          drainMs.add((settled.atNanos() - loadEnd) / 1e6);
          long after = Pg.queryLong(db, "SELECT count(*) FROM call_events");
          checkNoErrors("ingest", r);
          if (stuck > 0) {
            report.fail("ingest: " + stuck + " call(s) still active 30 s after the load");
          }
          transitions += after - before;
          double[] cpuEnd = bench.cpu(svc);
          serviceUs.add((cpuEnd[0] - cpuRun[0]) * 1e6 / Math.max(1, after - before));
          postgresUs.add(Math.max(0, cpuEnd[1] - cpuRun[1]) * 1e6 / Math.max(1, after - before));
          jitUs.add(jitMicros(cpuRun, cpuEnd, after - before));
          perSecond.add((after - before) / seconds);
          calls.add(r.ok() / seconds);
        }
        StringBuilder inOrder = new StringBuilder();
        for (int i = 0; i < perSecond.size(); i++) {
          inOrder.append(fmt("%s%,.0f/s (service %.0f µs, PostgreSQL %.0f µs; the calls in flight at the load's end"
              + " settled %.0f ms after it)", i == 0 ? "" : ", ", perSecond.get(i), serviceUs.get(i), postgresUs.get(i),
              drainMs.get(i)));
        }
        report.note("event ingestion: the runs in order: " + inOrder);
        report.note("event ingestion: CPU per applied transition (service includes its ARI sandbox), µs: "
            + Bench.cpuPerOp(cpuStart, bench.cpu(svc), transitions, false));
        if (PgStats.enabled()) {
          PgStats.print("ingest, per call", bench.pg.adminUrl(), db, transitions / 4);
        }
        String l = load0 + "→" + Machine.loadAverage();
        report.add("event ingestion, sandbox (" + inFlight + " calls in flight)", "transitions applied/s",
            values(perSecond), "", "≥ 10,000 (issue 15)", Samples.median(values(perSecond)) >= 10_000, l);
        report.add("event ingestion, sandbox (" + inFlight + " calls in flight)", "whole calls/s (4 transitions each)",
            values(calls), "", "", null, l);
        report.add("event ingestion, sandbox (" + inFlight + " calls in flight)",
            "CPU per applied transition: service (incl. its sandbox)", values(serviceUs), "µs", "", null, l);
        report.add("event ingestion, sandbox (" + inFlight + " calls in flight)",
            "CPU per applied transition: of the service's, its JIT compiler", values(jitUs), "µs", "", null, l);
        report.add("event ingestion, sandbox (" + inFlight + " calls in flight)",
            "CPU per applied transition: PostgreSQL", values(postgresUs), "µs", "", null, l);
      }
      verify("event ingestion", db, accepted, 60_000, true);
    }
  }

  // ---------------------------------------------------------------- origination, real Asterisk

  void originateAsterisk() throws Exception {
    Map<String, String> env = new HashMap<>(bench.asterisk.env());
    env.put("ARI_ENDPOINT_TEMPLATE", BENCH_ENDPOINT);
    try (Service svc = bench.scenarioService("asterisk", "asterisk", env);
        Load api = new Load("127.0.0.1", svc.port(), 512);
        Load ari = new Load("127.0.0.1", bench.asterisk.port(), 512)) {
      String db = svc.databaseUrl();
      String auth = "Bearer " + svc.adminToken();
      // Spread over several users as ingest is: one user's 1,000 calls/s limit would otherwise answer some 429.
      List<String> tokens = svc.newUserAuths(auth, "asterisk-user", INGEST_USERS);
      AtomicLong seq = new AtomicLong();
      Supplier<String> nextAuth = () -> tokens.get((int) (seq.incrementAndGet() % INGEST_USERS));
      String ariAuth = bench.asterisk.basicAuth();
      Map<String, String> accepted = new ConcurrentHashMap<>();
      record Variant(String name, int digit, String expected) {
      }
      for (Variant v : List.of(new Variant("ends at once (busy)", 1, "busy"),
          new Variant("answered, callee hangs up at once", 0, "completed"))) {
        String load0 = Machine.loadAverage();
        Supplier<Load.Request> viaApi = () -> originateRequest(nextAuth.get(), number(v.digit()), null, accepted,
            v.expected());
        // The ceiling: the same origination straight to ARI, into the same dialplan, no Stasis app to serve.
        String direct = "/ari/channels?endpoint=Local/" + number(v.digit()).substring(1) + "@bench-callee/n"
            + "&context=outbound-ivr&extension=s&priority=1&timeout=30";
        Supplier<Load.Request> viaAri = () -> new Load.Request(HttpMethod.POST, direct, ariAuth, null, null, null);
        warmUp("API on Asterisk, " + v.name(), api, viaApi, 8);
        ari.closedLoop(8, bench.seconds(3, 1), viaAri);
        int[] levels = bench.smoke ? new int[] {4} : new int[] {4, 8, 16, 32, 64};
        int bestAri = ramp("direct ARI, " + v.name(), ari, viaAri, levels);
        int bestApi = ramp("API on Asterisk, " + v.name(), api, viaApi, levels);
        int costLevel = bench.smoke ? levels[0] : COST_IN_FLIGHT;
        settleJit("API on Asterisk, " + v.name(), svc, api, viaApi, costLevel);
        List<Double> ceiling = new ArrayList<>();
        List<Double> through = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        // Per run, CPU per call through the API: service, PostgreSQL, Asterisk, and (service + PostgreSQL) / Asterisk.
        List<Double> serviceUs = new ArrayList<>();
        List<Double> postgresUs = new ArrayList<>();
        List<Double> asteriskUs = new ArrayList<>();
        List<Double> jitUs = new ArrayList<>();
        List<Double> costRatio = new ArrayList<>();
        double[] directCpu = new double[4];
        double[] apiCpu = new double[4];
        double[] throughputCpu = new double[4];
        long directCalls = 0;
        long apiCalls = 0;
        long throughputCalls = 0;
        if (PgStats.enabled()) {
          PgStats.reset(bench.pg.adminUrl(), db);
        }
        for (int i = 0; i < bench.runs; i++) {
          double[] t0 = bench.cpu(svc);
          Load.Result c = ari.closedLoop(bestAri, bench.seconds(8, 1), viaAri);
          double[] t1 = bench.cpu(svc);
          Load.Result a = api.closedLoop(bestApi, bench.seconds(8, 1), viaApi);
          double[] t2 = bench.cpu(svc);
          // The CPU rows: the throughput run itself when it ran at the cost level, else a run of their own.
          Load.Result costRun = a;
          double[] c0 = t1;
          double[] c1 = t2;
          if (bestApi != costLevel) {
            costRun = api.closedLoop(costLevel, bench.seconds(8, 1), viaApi);
            checkNoErrors("API on Asterisk", costRun);
            c1 = bench.cpu(svc);
            c0 = t2;
          }
          for (int k = 0; k < 4; k++) {
            directCpu[k] += t1[k] - t0[k];
            apiCpu[k] += c1[k] - c0[k];
            throughputCpu[k] += t2[k] - t1[k];
          }
          throughputCalls += a.ok();
          directCalls += c.ok();
          apiCalls += costRun.ok();
          double perCall = 1e6 / Math.max(1, costRun.ok());
          serviceUs.add((c1[0] - c0[0]) * perCall);
          postgresUs.add(Math.max(0, c1[1] - c0[1]) * perCall);
          asteriskUs.add((c1[2] - c0[2]) * perCall);
          jitUs.add(jitMicros(c0, c1, costRun.ok()));
          costRatio.add((serviceUs.get(i) + postgresUs.get(i)) / Math.max(1e-9, asteriskUs.get(i)));
          noteErrors("direct ARI", c);
          checkNoErrors("API on Asterisk", a);
          ceiling.add(c.perSecond());
          through.add(a.perSecond());
          ratio.add(100 * a.perSecond() / c.perSecond());
          p50.add(a.p50Ms());
          p99.add(a.p99Ms());
        }
        report.note("originate on Asterisk, " + v.name() + ": CPU per origination, µs: direct ARI: "
            + Bench.cpuPerOp(new double[4], directCpu, directCalls, true) + "; through the API (" + costLevel
            + " in flight): "
            + Bench.cpuPerOp(new double[4], apiCpu, apiCalls, true) + "; through the API at the throughput level ("
            + bestApi + " in flight): " + Bench.cpuPerOp(new double[4], throughputCpu, throughputCalls, true));
        if (PgStats.enabled()) {
          // Every API call of the runs: the throughput runs and, when separate, the cost runs.
          PgStats.print("originate on Asterisk, " + v.name() + ", per call", bench.pg.adminUrl(), db,
              throughputCalls + (bestApi == costLevel ? 0 : apiCalls));
        }
        String l = load0 + "→" + Machine.loadAverage();
        String name = "originate, Asterisk, " + v.name();
        report.add(name, "direct ARI ceiling, originations/s (" + bestAri + " in flight)", values(ceiling), "",
            "(ref. measured 800–1,000 / 335–420)", null, l);
        report.add(name, "through the API, calls/s (" + bestApi + " in flight)", values(through), "",
            fmt("≥ %,.0f (10× ref.)", 10 * REFERENCE_ORIGINATE_PER_S),
            Samples.median(values(through)) >= 10 * REFERENCE_ORIGINATE_PER_S, l);
        report.add(name, "API / ceiling (same run)", values(ratio), "%", "≥ 90 %", Samples.median(values(ratio)) >= 90, l);
        report.add(name, "API p50", values(p50), "ms", "", null, l);
        report.add(name, "API p99", values(p99), "ms", "", null, l);
        report.add(name, "CPU per call through the API (" + costLevel + " in flight): service", values(serviceUs), "µs", "", null, l);
        report.add(name, "CPU per call through the API (" + costLevel + " in flight): of the service's, its JIT compiler",
            values(jitUs), "µs", "", null, l);
        report.add(name, "CPU per call through the API (" + costLevel + " in flight): PostgreSQL", values(postgresUs), "µs", "", null, l);
        report.add(name, "CPU per call through the API (" + costLevel + " in flight): Asterisk", values(asteriskUs), "µs", "", null, l);
        report.add(name, "(service + PostgreSQL) / Asterisk CPU per call (" + costLevel + " in flight, same run)",
            values(costRatio), "×",
            "≤ 1× (issue 15)", Samples.median(values(costRatio)) <= 1, l);
      }
      verify("originate, Asterisk", db, accepted, 120_000, true);
      long drops = svc.logLines("ARI events connection lost");
      report.note("originate on Asterisk: the ARI events WebSocket was lost " + drops + " time(s) during the run");

      // Overload: the API places calls while the harness floods the service's own Stasis application with
      // originations at full speed (their events go to the service's socket, which ignores them), so Asterisk
      // sends events far faster than any real load; at ~1,000/s Asterisk 22 may drop the events socket. The
      // service must reconnect and reconcile: no call of the API may be lost or stuck (a call whose events were
      // lost may be settled with an approximate outcome, reported, not failed).
      String load0 = Machine.loadAverage();
      Map<String, String> overloaded = new ConcurrentHashMap<>();
      String flood = "/ari/channels?endpoint=Local/" + number(1).substring(1) + "@bench-callee/n&app="
          + bench.asterisk.env().get("ARI_APP") + "&timeout=30";
      Supplier<Load.Request> viaAriIntoApp = () -> new Load.Request(HttpMethod.POST, flood, ariAuth, null, null, null);
      Supplier<Load.Request> viaApi = () -> originateRequest(auth, number(1), null, overloaded, "busy");
      long dropsBefore = svc.logLines("ARI events connection lost");
      java.util.concurrent.CompletableFuture<Load.Result> floodRun = java.util.concurrent.CompletableFuture
          .supplyAsync(() -> ari.closedLoop(16, bench.seconds(10, 2), viaAriIntoApp));
      Load.Result placed = api.closedLoop(8, bench.seconds(10, 2), viaApi);
      Load.Result flooded = floodRun.join();
      Service.sleep(2000);
      long dropsDuring = svc.logLines("ARI events connection lost") - dropsBefore;
      report.add("originate, Asterisk, overload (events of other calls flood the socket)",
          "originations/s into the service's app", flooded.perSecond(), "", "", null,
          load0 + "→" + Machine.loadAverage());
      report.add("originate, Asterisk, overload (events of other calls flood the socket)",
          "API calls/s meanwhile", placed.perSecond(), "", "", null, load0 + "→" + Machine.loadAverage());
      report.note("overload: the events WebSocket was dropped " + dropsDuring + " time(s); reconnect and"
          + " reconciliation must leave no API call lost or stuck");
      verify("originate, Asterisk, overload", db, overloaded, 120_000, false);
    }
  }

  // ---------------------------------------------------------------- freshness under load

  void freshness() throws Exception {
    Map<String, String> env = new HashMap<>(bench.asterisk.env());
    env.put("ARI_ENDPOINT_TEMPLATE", BENCH_ENDPOINT);
    try (Service svc = bench.scenarioService("freshness", "asterisk", env);
        Load api = new Load("127.0.0.1", svc.port(), 1024)) {
      String db = svc.databaseUrl();
      String auth = "Bearer " + svc.adminToken();
      double[] rates = bench.smoke ? new double[] {10} : new double[] {50, 100, 200};
      for (double rate : rates) {
        String load0 = Machine.loadAverage();
        List<Double> achieved = new ArrayList<>();
        List<Double> lag50 = new ArrayList<>();
        List<Double> lag99 = new ArrayList<>();
        List<Double> err99 = new ArrayList<>();
        List<Double> err50 = new ArrayList<>();
        List<Double> worstSeconds = new ArrayList<>();
        List<Double> wrongOrStuck = new ArrayList<>();
        for (int i = 0; i < bench.runs; i++) {
          Map<String, String> accepted = new ConcurrentHashMap<>();
          // The callee (bench-callee, last digit = talk seconds) answers at once and hangs up TALK_SECONDS later;
          // the IVR is the long one (hold), so the callee decides the end: the true duration is known.
          Supplier<Load.Request> call = () -> originateRequest(auth, number(TALK_SECONDS), "hold", accepted, "completed");
          Load.Result r = api.openLoop(rate, bench.seconds(10, 2), call);
          checkNoErrors("freshness", r);
          long stuck = Pg.awaitSettled(db, (TALK_SECONDS + 60) * 1000L);
          Map<String, Pg.CallRow> rows = Pg.calls(db);
          Samples lag = new Samples();
          Samples error = new Samples();
          long worst = 0;
          long bad = stuck;
          for (Map.Entry<String, String> e : accepted.entrySet()) {
            Pg.CallRow row = rows.get(e.getKey());
            if (row == null || !"completed".equals(row.status()) || row.duration() == null) {
              bad++;
              continue;
            }
            lag.add(row.storeLagMs());
            error.add(row.answeredToEndMs() - TRUE_TALK_MS);
            // duration is whole seconds from answer to end (floor), so the truth it should show is floor(2.5 s).
            worst = Math.max(worst, Math.abs(row.duration() - TRUE_TALK_MS / 1000));
          }
          achieved.add(r.ok() / (bench.seconds(10, 2) / 1000.0));
          lag50.add((double) lag.percentile(50));
          lag99.add((double) lag.percentile(99));
          err50.add((double) error.percentile(50));
          err99.add((double) Math.max(Math.abs(error.percentile(1)), Math.abs(error.percentile(99))));
          worstSeconds.add((double) worst);
          wrongOrStuck.add((double) bad);
          if (bad > 0) {
            report.fail(fmt("freshness at %.0f/s: %d call(s) not completed with a duration (stuck %d)", rate, bad, stuck));
          }
          if (worst > 1) {
            report.fail(fmt("freshness at %.0f/s: a recorded duration is %d s off the truth", rate, worst));
          }
        }
        String l = load0 + "→" + Machine.loadAverage();
        String name = fmt("freshness, Asterisk, %.0f answered calls/s, talk %.1f s", rate, TRUE_TALK_MS / 1000.0);
        boolean target = rate >= 200;
        report.add(name, "calls/s placed", values(achieved), "", "", null, l);
        report.add(name, "event → stored status p50", values(lag50), "ms", "", null, l);
        report.add(name, "event → stored status p99", values(lag99), "ms", "", null, l);
        report.add(name, "recorded (ended − answered) − true talk, median", values(err50), "ms", "", null, l);
        report.add(name, "same, worst of p1/p99", values(err99), "ms", "", null, l);
        report.add(name, "worst |recorded duration − true|", values(worstSeconds), "s", target ? "≤ 1 s" : "",
            target ? Samples.median(values(worstSeconds)) <= 1 : null, l);
        report.add(name, "calls not completed right (lost/stuck/wrong)", values(wrongOrStuck), "", target ? "0" : "",
            target ? Samples.median(values(wrongOrStuck)) == 0 : null, l);
      }
    }
  }

  // ---------------------------------------------------------------- start-up

  void startup() throws Exception {
    String load0 = Machine.loadAverage();
    int n = bench.smoke ? 0 : bench.runs;
    // External PostgreSQL: the first start migrates the empty database; the runs are restarts.
    String db = bench.pg.freshDatabase("startup");
    List<Double> external = new ArrayList<>();
    double externalFirst;
    try (Service first = bench.service("startup-external", db, Map.of())) {
      externalFirst = first.startSeconds();
    }
    for (int i = 0; i < n; i++) {
      try (Service svc = bench.service("startup-external", db, Map.of())) {
        external.add(svc.startSeconds());
      }
    }
    // Embedded PostgreSQL: the first start runs initdb; the runs are restarts on the same DATA_DIR.
    List<Double> embedded = new ArrayList<>();
    double embeddedFirst;
    try (Service first = bench.service("startup-embedded", null, Map.of())) {
      embeddedFirst = first.startSeconds();
    }
    for (int i = 0; i < n; i++) {
      try (Service svc = bench.service("startup-embedded", null, Map.of())) {
        embedded.add(svc.startSeconds());
      }
    }
    String l = load0 + "→" + Machine.loadAverage();
    if (n > 0) {
      report.add("start-up, external PostgreSQL", "jar start → /health 200 (restart)", values(external), "s", "", null, l);
    }
    report.add("start-up, external PostgreSQL", "first start (migrates)", externalFirst, "s", "", null, l);
    if (n > 0) {
      report.add("start-up, embedded PostgreSQL", "jar start → /health 200 (restart)", values(embedded), "s", "", null, l);
    }
    report.add("start-up, embedded PostgreSQL", "first start (initdb + migrations)", embeddedFirst, "s", "", null, l);
  }

  // ---------------------------------------------------------------- shared

  /**
   * Loads the path in 10 s windows until its rate has not risen by 5 % twice in a row (at most
   * {@link #WARM_UP_WINDOWS}): a fresh service JVM takes about a minute of load to reach its steady rate (ingest
   * after one 10 s window: three runs in a row measured 4,512, 7,136 and 9,727 transitions/s, the service's CPU per
   * transition 223, 144 and 81 µs).
   */
  private void warmUp(String what, Load load, Supplier<Load.Request> request, int inFlight) {
    StringBuilder rates = new StringBuilder();
    double lastRate = 0;
    // Two windows in a row: after one window under 5 % the JIT was still at work (three ingest runs measured the
    // service at 87, 78 and 74 us per transition, then 72 or less).
    int flat = 0;
    long millis = bench.seconds(10, 1);
    for (int w = 0; w < (bench.smoke ? 1 : WARM_UP_WINDOWS); w++) {
      double rate = load.closedLoop(inFlight, millis, request).perSecond();
      rates.append(fmt("%s%,.0f", w == 0 ? "" : ", ", rate));
      flat = rate < lastRate * 1.05 ? flat + 1 : 0;
      if (flat == 2) {
        break;
      }
      lastRate = rate;
    }
    report.note(what + ": warm-up, " + inFlight + " in flight, " + millis / 1000 + " s windows until the rate has not"
        + " risen by 5 % twice in a row (at most " + WARM_UP_WINDOWS + "), calls/s: " + rates);
  }

  /**
   * Keeps loading the path at {@code inFlight} in 10 s windows until the service's JIT compiler used at most
   * {@link #JIT_SETTLED_SHARE} of the service's CPU in two windows in a row (at most {@link #JIT_WINDOWS}). A rate
   * that stopped rising at a lower level says little about the compiler: it compiles what a new level makes hot (5-37 %
   * of the service's CPU in the first window at 32 in flight after the ramp, in the runs of 2026-12-01), a one-time
   * cost of a fresh JVM that would otherwise be counted per call.
   */
  private void settleJit(String what, Service svc, Load load, Supplier<Load.Request> request, int inFlight) {
    StringBuilder shares = new StringBuilder();
    int quiet = 0;
    long millis = bench.seconds(10, 1);
    for (int w = 0; w < (bench.smoke ? 1 : JIT_WINDOWS) && quiet < 2; w++) {
      double cpu0 = svc.cpuSeconds();
      double jit0 = svc.jitCpuSeconds();
      load.closedLoop(inFlight, millis, request);
      double share = Math.max(0, svc.jitCpuSeconds() - jit0) / Math.max(1e-9, svc.cpuSeconds() - cpu0);
      shares.append(fmt("%s%.1f %%", w == 0 ? "" : ", ", 100 * share));
      quiet = share <= JIT_SETTLED_SHARE ? quiet + 1 : 0;
    }
    report.note(what + ": JIT settling, " + inFlight + " in flight, " + millis / 1000 + " s windows until the JIT"
        + " compiler used at most " + fmt("%.0f %%", 100 * JIT_SETTLED_SHARE) + " of the service's CPU twice in a row"
        + " (at most " + JIT_WINDOWS + "), its share: " + shares);
  }

  /** µs per operation the service's JIT compiler used between two {@link Bench#cpu} readings (a lower bound). */
  private static double jitMicros(double[] before, double[] after, long ops) {
    return Math.max(0, after[Bench.SERVICE_JIT] - before[Bench.SERVICE_JIT]) * 1e6 / Math.max(1, ops);
  }

  /** Climbs the concurrency levels (one short run each) until the rate stops growing by 5 %; the best level. */
  private int ramp(String what, Load load, Supplier<Load.Request> request, int[] levels) {
    int best = levels[0];
    double bestRate = 0;
    StringBuilder trace = new StringBuilder();
    for (int level : levels) {
      Load.Result r = load.closedLoop(level, bench.seconds(4, 1), request);
      double rate = r.perSecond();
      trace.append(fmt("%s%d → %,.0f/s (p99 %.1f ms)", trace.length() == 0 ? "" : ", ", level, rate, r.p99Ms()));
      if (r.failed() > 0) {
        trace.append(fmt(" [%d failed]", r.failed()));
      }
      if (rate > bestRate * 1.05) {
        best = level;
        bestRate = rate;
      } else {
        break;
      }
    }
    report.note(what + ": in flight → rate: " + trace + "; measured at " + best);
    return best;
  }

  /**
   * Requests the harness sends straight to Asterisk that fail (Asterisk's HTTP server may close a keep-alive
   * connection as a request goes out on it) only lower the ceiling measured; they are noted, not a failure.
   */
  private void noteErrors(String what, Load.Result r) {
    if (r.failed() > 0) {
      report.note(what + ": " + r.failed() + " request(s) of " + (r.ok() + r.failed()) + " failed (not counted)");
    }
  }

  private void checkNoErrors(String what, Load.Result r) {
    if (r.failed() > 0) {
      report.fail(what + ": " + r.failed() + " request(s) failed of " + (r.ok() + r.failed()));
    }
  }

  /**
   * Every accepted call must be in the database (none lost), ended (none stuck) and, when {@code strict}, in the
   * final state its number decides (the sandbox and test dialplan table).
   */
  private void verify(String what, String db, Map<String, String> accepted, long settleMillis, boolean strict) {
    long stuck = Pg.awaitSettled(db, settleMillis);
    Map<String, Pg.CallRow> rows = Pg.calls(db);
    long lost = 0;
    long wrong = 0;
    Map<String, Integer> wrongKinds = new HashMap<>();
    for (Map.Entry<String, String> e : accepted.entrySet()) {
      Pg.CallRow row = rows.get(e.getKey());
      if (row == null) {
        lost++;
      } else if (!e.getValue().equals(row.status()) && !Pg.ACTIVE.contains("'" + row.status() + "'")) {
        wrong++;
        wrongKinds.merge(e.getValue() + "→" + row.status(), 1, Integer::sum);
      }
    }
    report.note(fmt("%s: %,d calls accepted; lost %d, stuck %d, not in their expected final state %d%s", what,
        accepted.size(), lost, stuck, wrong, wrongKinds.isEmpty() ? "" : " " + wrongKinds));
    if (lost > 0 || stuck > 0) {
      report.fail(fmt("%s: %d lost and %d stuck call(s)", what, lost, stuck));
    }
    if (strict && wrong > 0) {
      report.fail(fmt("%s: %d call(s) ended in the wrong state %s", what, wrong, wrongKinds));
    }
  }

  private static Load.Request originateRequest(String auth, String number, String extension,
      Map<String, String> accepted, String expected) {
    return originateRequest(auth, number, extension, accepted, expected, "");
  }

  private static Load.Request originateRequest(String auth, String number, String extension,
      Map<String, String> accepted, String expected, String extraJson) {
    String body = "{\"phone_number\":\"" + number + "\"" + (extension == null ? "" : ",\"extension\":\"" + extension + "\"")
        + extraJson + "}";
    return new Load.Request(HttpMethod.POST, "/api/v2/calls", auth, "application/json", Buffer.buffer(body), answer -> {
      if (answer.status() == 201) {
        accepted.put(answer.body().toJsonObject().getString("call_id"), expected);
      }
    });
  }

  /** +1555000000d: the last digit picks the callee's behaviour (sandbox and test dialplans). */
  static String number(int lastDigit) {
    return "+155500000" + (10 + lastDigit);
  }

  /** The final state of a sandbox call by the last digit of its number (README, sandbox test numbers). */
  static String sandboxOutcome(int digit) {
    return switch (digit) {
      case 0, 5, 7, 8, 9 -> "completed";
      case 1 -> "busy";
      case 2 -> "no_answer";
      default -> "failed";
    };
  }

  /** A few calls to read, created through the API one by one. */
  private static List<String> createCalls(Service svc, String auth, int count) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + svc.port() + "/api/v2/calls"))
          .header("Authorization", auth).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"phone_number\":\"" + number(i % 10) + "\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201) {
        throw new IOException("creating a call answered " + r.statusCode() + ": " + r.body());
      }
      ids.add(new JsonObject(r.body()).getString("call_id"));
    }
    return ids;
  }
}
