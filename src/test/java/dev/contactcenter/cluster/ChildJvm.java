package dev.contactcenter.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A second JVM on the test class path, for what one JVM cannot show about itself (which classes it never loaded)
 * or must survive (being killed with SIGKILL). Its standard output is collected line by line; stopped by its pid.
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ChildJvm(Process process) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // The process ended.
      }
    }, "child-jvm-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** {@code java <jvmOptions> <rest>}, e.g. rest = {@code -cp path Main args} or {@code -jar file args}. */
  static ChildJvm start(List<String> jvmOptions, List<String> rest, Map<String, String> env) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(rest);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    return new ChildJvm(builder.start());
  }

  long pid() {
    return process.pid();
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  /** The first output line matching {@code wanted}, waiting up to {@code timeout}; fails if the JVM exits first. */
  String awaitLine(Predicate<String> wanted, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : lines) {
        if (wanted.test(line)) {
          return line;
        }
      }
      if (!process.isAlive()) {
        throw new AssertionError("child JVM exited (" + process.exitValue() + "); output:\n" + tail());
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no such line within " + timeout + "; output:\n" + tail());
  }

  /** SIGKILL: the JVM gets no chance to close anything, as when a host dies. */
  void kill() throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-9", String.valueOf(process.pid())).inheritIO().start().waitFor();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  private String tail() {
    List<String> all = lines();
    return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
