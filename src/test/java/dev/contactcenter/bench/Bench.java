package dev.contactcenter.bench;

import dev.contactcenter.support.FreePorts;
import dev.contactcenter.support.TempDirs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark harness: {@code bench/run.sh [smoke] [scenario...] [--runs N] [--jfr]}. Starts its own PostgreSQL,
 * the service from the packaged jar (and the test Asterisk for the scenarios that need it), warms up, runs each
 * scenario, prints a Markdown table (median and spread of the runs) and writes it under {@code bench/results/}.
 * Correctness (no lost, stuck or wrong call) is asserted in every mode; speed never is: exit 1 only for
 * correctness failures.
 */
public final class Bench {

  static final List<String> ALL = List.of("status", "originate", "ingest", "asterisk", "freshness", "scale", "restart",
      "rows", "startup", "webhooks", "faults", "dispatch", "cluster");
  private static final Deque<AutoCloseable> TO_CLOSE = new ArrayDeque<>();

  final boolean smoke;
  final int runs;
  final boolean jfr;
  final Path projectDir;
  final Path jar;
  final Path workDir;
  final Path resultsDir;
  final Report report;
  final String secret;
  Pg pg;
  Asterisk asterisk;
  private final Map<String, Service> shared = new java.util.HashMap<>();
  /** Where the services' logs go: bench/results/logs/<run>/ (not committed). */
  final Path logsDir;
  private int services;

  private Bench(boolean smoke, int runs, boolean jfr, Path projectDir, Path workDir) {
    this.smoke = smoke;
    this.report = new Report(smoke);
    this.runs = runs;
    this.jfr = jfr;
    this.projectDir = projectDir;
    this.jar = projectDir.resolve("target/contact-center-api.jar");
    this.workDir = workDir;
    this.resultsDir = projectDir.resolve("bench/results");
    this.logsDir = resultsDir.resolve("logs").resolve(ZonedDateTime.now(ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")) + (smoke ? "-smoke" : ""));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.secret = HexFormat.of().formatHex(key);
  }

  public static void main(String[] args) throws Exception {
    boolean smoke = false;
    boolean jfr = false;
    int runs = 3;
    Set<String> scenarios = new LinkedHashSet<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "smoke" -> smoke = true;
        case "all" -> scenarios.addAll(ALL);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--jfr" -> jfr = true;
        default -> {
          if (!ALL.contains(args[i])) {
            System.err.println("bench: unknown scenario or option '" + args[i] + "'; scenarios: " + ALL
                + ", modes: smoke, options: --runs N, --jfr");
            System.exit(2);
          }
          scenarios.add(args[i]);
        }
      }
    }
    if (scenarios.isEmpty()) {
      scenarios.addAll(ALL);
    }
    if (smoke) {
      runs = 1;
    }
    Path projectDir = Path.of(System.getenv().getOrDefault("PROJECT_DIR", ".")).toAbsolutePath().normalize();
    Path workDir = Files.createTempDirectory("cc-bench");
    // Services and PostgreSQL first, then their data (~5 GB): also on failure or Ctrl-C.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      closeAll();
      TempDirs.deleteRecursively(workDir);
    }, "bench-cleanup"));
    Bench bench = new Bench(smoke, runs, jfr, projectDir, workDir);
    int exit = bench.run(new ArrayList<>(scenarios));
    System.exit(exit);
  }

  /** Registers something to stop at exit (also on failure or Ctrl-C), newest first. */
  static synchronized void onExit(AutoCloseable resource) {
    TO_CLOSE.push(resource);
  }

  static synchronized void closeAll() {
    while (!TO_CLOSE.isEmpty()) {
      try {
        TO_CLOSE.pop().close();
      } catch (Exception e) {
        System.err.println("bench: cleanup: " + e);
      }
    }
  }

  private int run(List<String> scenarios) throws Exception {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": build it first (bench/run.sh does)");
    }
    String started = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_INSTANT);
    String loadBefore = Machine.loadAverage();
    pg = Pg.start(workDir.resolve("pg"));
    onExit(pg);
    boolean needsAsterisk = scenarios.contains("asterisk") || scenarios.contains("freshness")
        || scenarios.contains("faults") || scenarios.contains("cluster");
    if (needsAsterisk) {
      if (Asterisk.provisioned()) {
        asterisk = Asterisk.start(projectDir);
      } else {
        report.note("Asterisk scenarios skipped: no provisioned root at " + Asterisk.root()
            + " (scripts/asterisk.sh provision)");
        if ("1".equals(System.getenv("REQUIRE_ASTERISK")) || "true".equals(System.getenv("CI"))) {
          report.fail("Asterisk is required (REQUIRE_ASTERISK/CI) but not provisioned at " + Asterisk.root());
        }
      }
    }
    Scenarios s = new Scenarios(this);
    for (String scenario : scenarios) {
      System.out.println("bench: ---- " + scenario + (smoke ? " (smoke)" : "") + " ----");
      long scenarioStart = System.nanoTime();
      try {
        switch (scenario) {
          case "status" -> s.statusReads();
          case "originate" -> s.originateSandbox();
          case "ingest" -> s.ingest();
          case "asterisk" -> {
            if (asterisk != null) {
              s.originateAsterisk();
            }
          }
          case "freshness" -> {
            if (asterisk != null) {
              s.freshness();
            }
          }
          case "faults" -> {
            if (asterisk != null) {
              new FaultScenarios(this).run();
            }
          }
          case "scale" -> new ScaleScenario(this).ringing();
          case "restart" -> new ScaleScenario(this).restart();
          case "rows" -> new GrowthScenario(this).run();
          case "startup" -> s.startup();
          case "webhooks" -> new WebhookScenario(this).run();
          case "dispatch" -> new DispatchScenario(this).run();
          case "cluster" -> {
            if (asterisk != null) {
              new ClusterScenario(this).run();
            }
          }
          default -> throw new IllegalArgumentException(scenario);
        }
      } catch (Exception e) {
        e.printStackTrace();
        report.fail(scenario + ": the scenario crashed: " + e);
      }
      String took = fmt("%s took %.0f s", scenario, (System.nanoTime() - scenarioStart) / 1e9);
      System.out.println("bench: ---- " + took);
      // In the result file too: the lead plans the final runs' window from it.
      report.note("duration: " + took + " (" + runs + " run(s), load " + Machine.loadAverage() + " at its end)");
    }
    closeAll();

    String header = "## Benchmark results" + (smoke ? " (smoke: 1 short run each, correctness only)" : "") + "\n\n"
        + "- run: " + started + ", commit " + Machine.gitCommit(projectDir) + ", command `bench/run.sh"
        + (smoke ? " smoke" : "") + " " + String.join(" ", scenarios) + "`\n"
        + "- machine: " + Machine.describe() + "\n"
        + (serviceJvmOptions().isEmpty() ? ""
            : "- service JVM options (BENCH_SERVICE_JVM_OPTIONS): " + String.join(" ", serviceJvmOptions()) + "\n")
        + "- 1-min load average: " + loadBefore + " before, " + Machine.loadAverage() + " after"
        + " (other work on the machine shares its 2 cores; the load generator and PostgreSQL run on it too)\n"
        + "- each figure: median of " + runs + " run(s), spread = min–max; ratios are taken within the same run\n";
    String markdown = report.markdown(header);
    System.out.println();
    System.out.println(markdown);
    String stamp = started.replace(":", "").replaceAll("\\.\\d+Z$", "Z");
    Path file = resultsDir.resolve((smoke ? "smoke-" : "") + stamp + ".md");
    report.write(file, markdown);
    if (!smoke && scenarios.size() == ALL.size()) {
      report.write(resultsDir.resolve("latest.md"), markdown);
    }
    System.out.println("bench: written to " + projectDir.relativize(file) + "; service logs in "
        + projectDir.relativize(logsDir));
    if (!report.failures().isEmpty()) {
      System.out.println("bench: " + report.failures().size() + " correctness failure(s)");
      return 1;
    }
    return 0;
  }

  // ---- helpers shared by the scenarios ----

  /**
   * The service a scenario runs against, on a fresh database. In smoke mode scenarios with the same
   * {@code sharedKey} (and so the same configuration) share one service, to keep the smoke run short; closing it
   * then keeps it running until the end.
   */
  Service scenarioService(String label, String sharedKey, Map<String, String> extraEnv) throws IOException {
    if (smoke && sharedKey != null && shared.containsKey(sharedKey)) {
      return shared.get(sharedKey);
    }
    Service service = service(label, pg.freshDatabase(label), extraEnv);
    if (smoke && sharedKey != null) {
      service.keepOpenUntilExit();
      shared.put(sharedKey, service);
    }
    return service;
  }

  Service service(String label, String databaseUrl, Map<String, String> extraEnv) throws IOException {
    return service(label, serviceEnv(label, databaseUrl, extraEnv));
  }

  /** The complete environment of a scenario's service: start it again with the same one after a fault. */
  Map<String, String> serviceEnv(String label, String databaseUrl, Map<String, String> extraEnv) throws IOException {
    Map<String, String> env = Service.baseEnv(freePort(), databaseUrl, workDir.resolve("data-" + label), secret);
    env.putAll(extraEnv);
    if (!env.containsKey("ARI_HTTP_URL")) {
      env.put("ARI_SANDBOX", "true");
    }
    return env;
  }

  Service service(String label, Map<String, String> env) throws IOException {
    return service(label, env, List.of());
  }

  /** As above, with these JVM options before {@code -jar}. */
  Service service(String label, Map<String, String> env, List<String> jvmOptions) throws IOException {
    List<String> jvm = new ArrayList<>(serviceJvmOptions());
    jvm.addAll(jvmOptions);
    if (jfr) {
      Path recording = resultsDir.resolve("jfr").resolve(label + ".jfr");
      Files.createDirectories(recording.getParent());
      // BENCH_JFR_SETTINGS: another .jfc, e.g. the JDK's profile.jfc with method sampling at 1 ms instead of 10 ms.
      String settings = System.getenv().getOrDefault("BENCH_JFR_SETTINGS", "profile");
      jvm.add("-XX:StartFlightRecording=filename=" + recording + ",settings=" + settings + ",dumponexit=true");
    }
    Path log = logsDir.resolve(label + "-" + (++services) + ".log");
    return Service.start(jar, env, jvm, workDir, log, Duration.ofSeconds(120));
  }

  /** JVM options for every service of the bench: {@code BENCH_SERVICE_JVM_OPTIONS} (space-separated), to measure one. */
  static List<String> serviceJvmOptions() {
    String chosen = System.getenv().getOrDefault("BENCH_SERVICE_JVM_OPTIONS", "");
    return chosen.isBlank() ? List.of() : List.of(chosen.trim().split("\\s+"));
  }

  /**
   * CPU seconds used so far by: the service, PostgreSQL (all backends), Asterisk (if running), this harness; and,
   * at {@link #SERVICE_JIT}, the part of the service's that its JIT compiler threads used.
   */
  double[] cpu(Service service) {
    return new double[] {
        service.cpuSeconds(),
        Machine.cpuSeconds(pg.postmasterPid(), true),
        asterisk == null ? 0 : Machine.cpuSeconds(asterisk.pid(), true),
        Machine.cpuSeconds(ProcessHandle.current().pid(), false),
        service.jitCpuSeconds()};
  }

  /** Index in {@link #cpu}'s readings of the service's JIT compiler threads (included in the service's). */
  static final int SERVICE_JIT = 4;

  /** CPU per operation between two {@link #cpu} readings, in microseconds, as text for a note. */
  static String cpuPerOp(double[] before, double[] after, long ops, boolean withAsterisk) {
    String[] names = {"service", "PostgreSQL", "Asterisk", "load generator"};
    StringBuilder out = new StringBuilder();
    double total = 0;
    for (int i = 0; i < names.length; i++) {
      if (i == 2 && !withAsterisk) {
        continue;
      }
      // A PostgreSQL backend that exited meanwhile takes its CPU time with it: never below 0.
      double us = Math.max(0, after[i] - before[i]) * 1e6 / Math.max(1, ops);
      total += us;
      out.append(out.length() == 0 ? "" : ", ").append(names[i]).append(' ').append(fmt("%,.0f", us));
    }
    return out.append(fmt(" (total %,.0f µs: at most ~%,.0f/s on 2 cores)", total, 2e6 / Math.max(1, total))).toString();
  }

  long seconds(long full, long smokeValue) {
    return (smoke ? smokeValue : full) * 1000;
  }

  static int freePort() throws IOException {
    return FreePorts.next();
  }

  static double[] values(List<Double> list) {
    return list.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static String fmt(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

}
