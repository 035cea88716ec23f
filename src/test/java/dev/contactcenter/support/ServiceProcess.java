package dev.contactcenter.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service in its own JVM ({@code dev.contactcenter.Main} on this test's class path), configured through its
 * environment only, for what needs a real process: SIGTERM, kill -9, a second start beside a running one.
 * {@link #close()} kills it if it still runs.
 */
public final class ServiceProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final Path log;

  private ServiceProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts {@code Main} with {@code args} and exactly {@code env} (plus PATH, HOME, LANG, TMPDIR); output to {@code log}. */
  public static ServiceProcess start(Map<String, String> env, Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.contactcenter.Main"));
    command.addAll(List.of(args));
    Files.createDirectories(log.toAbsolutePath().getParent());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().retainAll(List.of("PATH", "HOME", "LANG", "TMPDIR"));
    builder.environment().putAll(env);
    String port = env.getOrDefault("HTTP_PORT", "0");
    return new ServiceProcess(builder.start(), Integer.parseInt(port), log);
  }

  /** A free loopback port for HTTP_PORT: a separate process cannot report the port it picked. */
  public static int freePort() throws IOException {
    return FreePorts.next();
  }

  /** Waits until {@code path} answers 200; fails with the log's tail if the process exits or time runs out. */
  public ServiceProcess awaitOk(String path, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("the service exited with " + process.exitValue() + " while starting:\n" + tail(40));
      }
      try {
        HttpResponse<Void> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + path))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return this;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      Thread.sleep(100);
    }
    throw new AssertionError(path + " did not answer 200 within " + within + ":\n" + tail(40));
  }

  public String base() {
    return "http://127.0.0.1:" + port;
  }

  public ApiClient client() {
    return new ApiClient(base());
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, then waits for the exit; returns how long the process took to exit. */
  public Duration sigterm(Duration within) throws InterruptedException {
    long started = System.nanoTime();
    process.destroy();
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the service did not exit within " + within + " of SIGTERM:\n" + tail(40));
    }
    return Duration.ofNanos(System.nanoTime() - started);
  }

  /** SIGKILL: no shutdown hook runs, as after a crash or an OOM kill. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Waits for the process to exit by itself (a refused start); returns its exit code. */
  public int awaitExit(Duration within) throws InterruptedException {
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the service still runs after " + within + ":\n" + tail(40));
    }
    return process.exitValue();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
  }
}
