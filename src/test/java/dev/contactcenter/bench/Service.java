package dev.contactcenter.bench;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The service under test, started from the packaged jar as an operator would ({@code java -jar}, configured through
 * environment variables), in its own process so its memory and start-up are its own. Stopped with SIGTERM (the
 * JVM's shutdown hook stops it cleanly), killed if it does not go.
 */
final class Service implements AutoCloseable {

  static final String ADMIN_PASSWORD = "bench-admin-password";

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final Path log;
  private final long startedNanos;
  private long healthyAfterNanos = -1;
  private String databaseUrl;
  private boolean keepOpen;

  private Service(Process process, int port, Path log, long startedNanos) {
    this.process = process;
    this.port = port;
    this.log = log;
    this.startedNanos = startedNanos;
  }

  /**
   * Starts {@code java [jvmOptions] -jar jar} with the environment {@code env} (on top of a clean one: PATH, HOME,
   * JAVA_HOME) in {@code workDir}, and waits until {@code /health} answers 200.
   */
  static Service start(Path jar, Map<String, String> env, List<String> jvmOptions, Path workDir, Path log,
      Duration timeout) throws IOException {
    int port = Integer.parseInt(env.get("HTTP_PORT"));
    Files.createDirectories(workDir);
    Files.createDirectories(log.getParent());
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> processEnv = builder.environment();
    processEnv.keySet().retainAll(List.of("PATH", "HOME", "JAVA_HOME", "LANG", "TMPDIR"));
    processEnv.putAll(env);
    long started = System.nanoTime();
    Service service = new Service(builder.start(), port, log, started);
    service.databaseUrl = env.get("DATABASE_URL");
    Bench.onExit(service::stop);
    service.awaitHealthy(timeout);
    return service;
  }

  private void awaitHealthy(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the service exited with " + process.exitValue() + " during start-up; log: " + log
            + "\n" + tail());
      }
      try {
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(uri("/health"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) {
          healthyAfterNanos = System.nanoTime() - startedNanos;
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      sleep(20);
    }
    stop();
    throw new IOException("the service did not answer /health 200 within " + timeout + "; log: " + log + "\n" + tail());
  }

  /** Seconds from process start to the first {@code /health} 200. */
  double startSeconds() {
    return healthyAfterNanos / 1e9;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** A bearer token for admin (one bcrypt verification, on the service's worker pool). */
  String adminToken() throws IOException {
    return token("admin", ADMIN_PASSWORD);
  }

  /** Creates the user {@code username} (role user, through the admin API) and returns a bearer token of theirs. */
  String newUserToken(String adminAuth, String username) throws IOException {
    String password = "bench-user-password";
    String body = "{\"username\":\"" + username + "\",\"password\":\"" + password + "\"}";
    try {
      HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(uri("/api/v2/users"))
          .header("Authorization", adminAuth).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() != 201) {
        throw new IOException("creating user " + username + " answered " + created.statusCode() + ": " + created.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return token(username, password);
  }

  /**
   * Bearer tokens ("Bearer …") of {@code count} new users {@code prefix-0}, {@code prefix-1}, …: a load spread as
   * many clients would spread it (each user's own limits apply to their share).
   */
  List<String> newUserAuths(String adminAuth, String prefix, int count) throws IOException {
    List<String> auths = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      auths.add("Bearer " + newUserToken(adminAuth, prefix + "-" + i));
    }
    return auths;
  }

  private String token(String username, String password) throws IOException {
    String form = "grant_type=password&username=" + URLEncoder.encode(username, StandardCharsets.UTF_8)
        + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8);
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri("/api/v2/token"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
      Matcher m = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(response.body());
      if (response.statusCode() != 200 || !m.find()) {
        throw new IOException("token request answered " + response.statusCode() + ": " + response.body());
      }
      return m.group(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** CPU time (user + system) the service process has used so far, in seconds (Linux /proc, 100 ticks/s). */
  double cpuSeconds() {
    try {
      return Machine.cpuTicks(Machine.statFields(Files.readString(Path.of("/proc", Long.toString(pid()), "stat"))))
          / 100.0;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * CPU time (user + system, seconds) the service's JIT compiler threads have used so far: HotSpot names them
   * "C1 CompilerThread<n>" and "C2 CompilerThread<n>" (Linux keeps the first 15 characters). A cost a JVM pays while
   * it warms up, not per call: the bench warms up until it is small, and reports what is left of it.
   */
  double jitCpuSeconds() {
    long ticks = 0;
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            ticks += Machine.cpuTicks(Machine.statFields(stat));
          }
        } catch (IOException | RuntimeException e) {
          // The thread ended meanwhile (HotSpot stops idle compiler threads): its time left with it.
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return ticks / 100.0;
  }

  /** Resident set size of the service process, in MiB (Linux /proc). */
  double rssMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  /** Java heap in use after a full GC, in MiB, through {@code jcmd}: what the live objects really take. */
  double heapAfterGcMiB() throws IOException {
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    // G1: " garbage-first heap   total 262144K, used 45678K [..."; Serial/Parallel: lines with "used NNNK".
    Matcher m = Pattern.compile("heap\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K").matcher(info);
    if (m.find()) {
      return Long.parseLong(m.group(1)) / 1024.0;
    }
    long used = 0;
    Matcher any = Pattern.compile("used\\s+(\\d+)K").matcher(info);
    while (any.find()) {
      used += Long.parseLong(any.group(1));
    }
    return used / 1024.0;
  }

  String jcmd(String what) throws IOException {
    Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
        Long.toString(pid()), what).redirectErrorStream(true).start();
    try {
      String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      jcmd.waitFor(30, TimeUnit.SECONDS);
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** Lines of the service log matching {@code pattern} (WARN/ERROR counts after a scenario). */
  long logLines(String pattern) {
    try {
      Pattern p = Pattern.compile(pattern);
      return Files.readAllLines(log).stream().filter(l -> p.matcher(l).find()).count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The database the service was given (null: its embedded one). */
  String databaseUrl() {
    return databaseUrl;
  }

  /** From now on {@link #close()} leaves the service running; it is stopped when the harness exits. */
  void keepOpenUntilExit() {
    keepOpen = true;
  }

  @Override
  public void close() {
    if (!keepOpen) {
      stop();
    }
  }

  /** SIGTERM as an orchestrator sends it; seconds until the process exited (killed after 60 s). */
  double sigterm() throws InterruptedException {
    long started = System.nanoTime();
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    return (System.nanoTime() - started) / 1e9;
  }

  /** SIGKILL: no shutdown hook runs. */
  void kill9() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  void stop() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static Map<String, String> baseEnv(int port, String databaseUrl, Path dataDir, String secret) {
    Map<String, String> env = new HashMap<>();
    env.put("HTTP_HOST", "127.0.0.1");
    env.put("HTTP_PORT", Integer.toString(port));
    if (databaseUrl != null) {
      env.put("DATABASE_URL", databaseUrl);
    }
    env.put("DATA_DIR", dataDir.toString());
    env.put("SECRET_KEY", secret);
    env.put("ADMIN_PASSWORD", ADMIN_PASSWORD);
    // The bench measures the service's capacity, not a user's call limits.
    env.put("USER_CALLS_PER_SECOND", "1000");
    env.put("USER_CONCURRENT_CALLS", "100000");
    env.put("USER_CALLS_PER_DAY", "10000000");
    return env;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
