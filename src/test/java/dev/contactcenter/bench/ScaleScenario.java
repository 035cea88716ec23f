package dev.contactcenter.bench;

import static dev.contactcenter.bench.Bench.fmt;
import static dev.contactcenter.bench.Bench.values;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Memory and start (issue 15, item 4): 100,000 calls ringing at once in the sandbox, heap after a forced GC (target
 * &lt; 512 MiB) and the heap each ringing call keeps; a restart with 10,000 active calls until every one is
 * reconciled (target &lt; 10 s), split into the JVM and service start-up and the reconciliation itself.
 */
final class ScaleScenario {

  /**
   * Calls per user: the per-user limits are checked per call (counting the user's calls in progress and of the day),
   * so the load is spread as many users would spread it.
   */
  private static final int CALLS_PER_USER = 2_000;
  /**
   * Originate requests in flight while filling ({@code BENCH_SCALE_IN_FLIGHT}): filling is CPU-bound (service,
   * PostgreSQL and this generator on 2 cores), and 128 costs less CPU per call than 32 (fuller batches).
   */
  private static final int IN_FLIGHT = Integer.parseInt(System.getenv().getOrDefault("BENCH_SCALE_IN_FLIGHT", "128"));

  private final Bench bench;
  private final Report report;

  ScaleScenario(Bench bench) {
    this.bench = bench;
    this.report = bench.report;
  }

  /** {@code BENCH_SCALE_CALLS} (default 100,000) calls that ring until their 10-minute timeout, all placed by API. */
  void ringing() throws Exception {
    String load0 = Machine.loadAverage();
    int active = bench.smoke ? 500 : Integer.parseInt(System.getenv().getOrDefault("BENCH_SCALE_CALLS", "100000"));
    // One token per user, all from this address: more than the default 10 token requests a minute; passwords hashed
    // cheaply (the users are the bench's). Sandbox time 10× slower: a call's 10-minute ring timeout lasts 100 minutes,
    // so every call still rings when the last one is placed, however long the machine takes to place 100,000.
    try (Service svc = bench.scenarioService("scale", "scale", Map.of("TOKEN_RATE_LIMIT", "1000", "BCRYPT_COST", "4",
        "SANDBOX_TIME_SCALE", "10"))) {
      String db = svc.databaseUrl();
      String admin = "Bearer " + svc.adminToken();
      double idleHeap = svc.heapAfterGcMiB();
      double idleRss = svc.rssMiB();
      int users = Math.max(1, (active + CALLS_PER_USER - 1) / CALLS_PER_USER);
      List<String> tokens = svc.newUserAuths(admin, "scale-user", users);
      AtomicLong sent = new AtomicLong();
      long[] fillStart = {System.nanoTime()};
      AtomicLong accepted = new AtomicLong();
      // Last digit 2: the simulated callee rings until the timeout (10 minutes, the most a call may ask for).
      Buffer body = Buffer.buffer("{\"phone_number\":\"" + Scenarios.number(2) + "\",\"timeout\":600000}");
      Supplier<Load.Request> ring = () -> new Load.Request(HttpMethod.POST, "/api/v2/calls",
          tokens.get((int) (sent.getAndIncrement() % users)), "application/json", body, answer -> {
            if (answer.status() == 201 && accepted.incrementAndGet() % 10_000 == 0) {
              System.out.println(fmt("bench: scale: %,d calls placed in %.0f s", accepted.get(),
                  (System.nanoTime() - fillStart[0]) / 1e9));
            }
          });
      double[] cpu0 = bench.cpu(svc);
      long t0 = System.nanoTime();
      fillStart[0] = t0;
      long failed = 0;
      try (Load load = new Load("127.0.0.1", svc.port(), Math.max(64, IN_FLIGHT))) {
        // Runs of at most 8 minutes (a load run's bound is 10), 60 minutes in all: the calls ring for 100.
        long deadline = System.nanoTime() + 3_600_000_000_000L;
        while (accepted.get() < active && failed < 100 && System.nanoTime() < deadline) {
          Load.Result r = load.closedLoop(IN_FLIGHT, 480_000, active - accepted.get(), ring);
          failed += r.failed();
          System.out.println(fmt("bench: scale: %,d calls placed in %.0f s", accepted.get(), (System.nanoTime() - t0) / 1e9));
        }
      }
      if (failed > 0) {
        report.fail("scale: " + failed + " originate request(s) failed");
      }
      double placedSeconds = (System.nanoTime() - t0) / 1e9;
      long ringing = awaitRinging(db, accepted.get(), 60_000);
      double filledSeconds = (System.nanoTime() - t0) / 1e9;
      report.note(fmt("scale: CPU per call placed until all ring (service includes its sandbox), µs: %s",
          Bench.cpuPerOp(cpu0, bench.cpu(svc), accepted.get(), false)));
      List<Double> heap = new ArrayList<>();
      List<Double> rss = new ArrayList<>();
      List<Double> perCall = new ArrayList<>();
      for (int i = 0; i < bench.runs; i++) {
        double h = svc.heapAfterGcMiB();
        heap.add(h);
        rss.add(svc.rssMiB());
        perCall.add((h - idleHeap) * 1024 * 1024 / Math.max(1, ringing));
      }
      long stillRinging = Pg.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'ringing'");
      String l = load0 + "→" + Machine.loadAverage();
      String name = fmt("scale, %,d calls ringing at once (sandbox, %d users)", ringing, users);
      report.add(name, "Java heap after GC (service with its sandbox)", values(heap), "MiB", "< 512 MiB",
          Samples.median(values(heap)) < 512, l);
      report.add(name, "retained heap per ringing call (over idle)", values(perCall), "bytes", "", null, l);
      report.add(name, "service RSS", values(rss), "MiB", "", null, l);
      report.add(name, "originations/s while filling (" + IN_FLIGHT + " in flight)", accepted.get() / placedSeconds,
          "calls/s", "", null, l);
      report.add(name, "time until all ring", filledSeconds, "s", "", null, l);
      report.add("scale, idle service (same JVM, before the calls)", "heap after GC / RSS", new double[] {idleHeap},
          fmt("MiB / %.0f MiB", idleRss), "", null, l);
      if (ringing < active || stillRinging < active) {
        report.fail(fmt("scale: only %,d of %,d calls reached ringing (%,d still ringing after the heap readings)",
            ringing, active, stillRinging));
      }
    }
  }

  /**
   * A node restarted with {@code BENCH_RESTART_CALLS} (default 10,000) active calls whose channels are gone (the
   * sandbox lives in the service's JVM): jar start until every one of them is settled, and the part of it before
   * {@code /health} answers 200 (JVM, configuration, database, verticles). Twice: {@code java -jar} as is, and with
   * the class-data archive the image builds (AppCDS: Dockerfile, docker/entrypoint.sh), made here the same way by
   * one training start of the same jar.
   */
  void restart() throws Exception {
    int active = bench.smoke ? 500 : Integer.parseInt(System.getenv().getOrDefault("BENCH_RESTART_CALLS", "10000"));
    String db = bench.pg.freshDatabase("restart-active");
    Path archive = bench.workDir.resolve("restart-active.jsa");
    Map<String, String> env = bench.serviceEnv("restart-active", db, Map.of());
    // The smoke run (correctness only) skips the archive: its training start is the slowest part of the scenario.
    List<String> training = bench.smoke ? List.of() : List.of("-XX:ArchiveClassesAtExit=" + archive);
    try (Service first = bench.service("restart-active", env, training)) {
      // Creates the admin and, at its exit, the archive; stopped before the calls appear, as a node that goes down.
    }
    restartRuns(active, db, env, List.of(), "java -jar");
    if (bench.smoke) {
      return;
    }
    if (Files.isRegularFile(archive)) {
      restartRuns(active, db, env, List.of("-XX:SharedArchiveFile=" + archive), "AppCDS archive");
    } else {
      report.note("restart: the JVM wrote no class-data archive; the AppCDS rows are missing");
    }
  }

  private void restartRuns(int active, String db, Map<String, String> env, List<String> jvm, String how)
      throws Exception {
    String load0 = Machine.loadAverage();
    double[] settle = new double[bench.runs];
    double[] startUp = new double[bench.runs];
    double[] reconcile = new double[bench.runs];
    double[] cpu = new double[bench.runs];
    double[] cpuAtHealthy = new double[bench.runs];
    double[] postgresCpu = new double[bench.runs];
    for (int i = 0; i < bench.runs; i++) {
      seedActive(db, active);
      double pg0 = Machine.cpuSeconds(bench.pg.postmasterPid(), true);
      long started = System.nanoTime();
      try (Service svc = bench.service("restart-active", env, jvm)) {
        cpuAtHealthy[i] = svc.cpuSeconds();
        long left = Pg.awaitSettled(db, 120_000);
        if (left > 0) {
          report.fail(fmt("restart: %,d active calls not reconciled 120 s after the start", left));
        }
        settle[i] = (System.nanoTime() - started) / 1e9;
        startUp[i] = svc.startSeconds();
        reconcile[i] = settle[i] - startUp[i];
        cpu[i] = svc.cpuSeconds();
        postgresCpu[i] = Math.max(0, Machine.cpuSeconds(bench.pg.postmasterPid(), true) - pg0);
      }
    }
    String l = load0 + "→" + Machine.loadAverage();
    String name = fmt("restart with %,d active calls (sandbox, their channels gone), %s", active, how);
    report.add(name, "jar start → all reconciled", settle, "s", "< 10 s", Samples.median(settle) < 10, l);
    report.add(name, "of which jar start → /health 200", startUp, "s", "", null, l);
    report.add(name, "of which /health 200 → all reconciled", reconcile, "s", "", null, l);
    report.add(name, "service CPU until all reconciled", cpu, "s", "", null, l);
    report.add(name, "of which until /health 200", cpuAtHealthy, "s", "", null, l);
    report.add(name, "PostgreSQL CPU, jar start → all reconciled", postgresCpu, "s", "", null, l);
  }

  /** Waits until {@code expected} calls ring (or the time is up); how many ring. */
  private static long awaitRinging(String db, long expected, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    long ringing = 0;
    while (System.currentTimeMillis() < deadline) {
      ringing = Pg.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'ringing'");
      if (ringing >= expected) {
        break;
      }
      Service.sleep(200);
    }
    return ringing;
  }

  /** Calls ringing on channels that no longer exist, as a node that died leaves them. */
  static void seedActive(String db, int count) {
    Pg.execute(db, "INSERT INTO calls (id, owner, phone_number, status, context, extension, priority, timeout_ms,"
        + " channel_id, created_at, dialed_at, ringing_at, updated_at)"
        + " SELECT u, 'admin', '+1555' || lpad(i::text, 7, '0'), 'ringing', 'outbound-ivr', 's', 1, 600000,"
        + " u::text, now(), now(), now(), now()"
        + " FROM (SELECT i, gen_random_uuid() AS u FROM generate_series(1, " + count + ") i) g");
  }
}
