package dev.contactcenter.bench;

import dev.contactcenter.support.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real Asterisk 22 of {@code scripts/asterisk.sh} (Debian sid chroot; ASTERISK_ROOT picks another root, so a
 * benchmark does not stop the Asterisk of tests running beside it). Started once for the scenarios that need it.
 */
final class Asterisk implements AutoCloseable {

  private final Path script;
  private final Map<String, String> env;
  /** scripts/asterisk.sh's ASTERISK_INSTANCE: "" the default, e.g. "b" a second Asterisk from the same root. */
  private final String instance;

  private Asterisk(Path script, Map<String, String> env, String instance) {
    this.script = script;
    this.env = env;
    this.instance = instance;
  }

  static boolean provisioned() {
    return Files.isRegularFile(root().resolve(".provisioned"));
  }

  static Path root() {
    return Path.of(System.getenv().getOrDefault("ASTERISK_ROOT", "/var/cache/contact-center-api/asterisk-sid"));
  }

  static Asterisk start(Path projectDir) throws IOException {
    return start(projectDir, "");
  }

  /** Starts the named instance (see docs/ASTERISK.md, "Several Asterisks from one root"). */
  static Asterisk start(Path projectDir, String instance) throws IOException {
    Path script = projectDir.resolve("scripts/asterisk.sh");
    int port = FreePorts.next();
    String out = run(script, instance, "start", "--port", Integer.toString(port));
    Map<String, String> env = new HashMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    if (!env.containsKey("ARI_HTTP_URL")) {
      throw new IOException("scripts/asterisk.sh start printed no ARI_HTTP_URL: " + out);
    }
    Asterisk asterisk = new Asterisk(script, env, instance);
    Bench.onExit(asterisk);
    return asterisk;
  }

  /** ARI_HTTP_URL, ARI_USERNAME, ARI_PASSWORD, ARI_APP, ARI_ENDPOINT_TEMPLATE, DEFAULT_CONTEXT. */
  Map<String, String> env() {
    return env;
  }

  String url() {
    return env.get("ARI_HTTP_URL");
  }

  int port() {
    return Integer.parseInt(url().substring(url().lastIndexOf(':') + 1));
  }

  String basicAuth() {
    return "Basic " + java.util.Base64.getEncoder().encodeToString(
        (env.get("ARI_USERNAME") + ":" + env.get("ARI_PASSWORD")).getBytes(StandardCharsets.UTF_8));
  }

  /** Host pid of the Asterisk process, for its CPU time; -1 if unknown. */
  long pid() {
    try {
      return Long.parseLong(Files.readString(root().resolve("run-state" + (instance.isEmpty() ? "" : "-" + instance) + "/asterisk.pid")).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static String run(Path script, String instance, String... args) throws IOException {
    String[] command = new String[args.length + 1];
    command[0] = script.toString();
    System.arraycopy(args, 0, command, 1, args.length);
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    if (!instance.isEmpty()) {
      builder.environment().put("ASTERISK_INSTANCE", instance);
    }
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("scripts/asterisk.sh " + String.join(" ", args) + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }

  @Override
  public void close() {
    try {
      run(script, instance, "stop");
    } catch (IOException e) {
      System.err.println("bench: stopping Asterisk failed: " + e.getMessage());
    }
  }
}
