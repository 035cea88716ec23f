package dev.contactcenter.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real Asterisk 22 of the integration tests, driven through {@code scripts/asterisk.sh} (a Debian sid chroot
 * provisioned by {@code scripts/asterisk.sh provision}, which .ci/run does). Without a provisioned root the tests
 * are skipped with the reason, except when REQUIRE_ASTERISK=1 or CI=true: then they fail.
 */
public final class TestAsterisk implements AutoCloseable {

  private static final Path ROOT = Path.of(System.getenv().getOrDefault("ASTERISK_ROOT",
      "/var/cache/contact-center-api/asterisk-sid"));

  private final Path script;
  private final int port;
  /** scripts/asterisk.sh's ASTERISK_INSTANCE: "" for the default one, e.g. "b" for a second from the same root. */
  private final String instance;
  private Map<String, String> env = Map.of();

  private TestAsterisk(Path script, int port, String instance) {
    this.script = script;
    this.port = port;
    this.instance = instance;
  }

  /**
   * Skips a whole test class, with the reason, when no Asterisk is provisioned and none is required: a skip in
   * {@code @BeforeAll} would report no test at all, where this reports each as skipped.
   */
  public static final class Provisioned implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (Files.isRegularFile(ROOT.resolve(".provisioned")) || required()) {
        return ConditionEvaluationResult.enabled("Asterisk provisioned at " + ROOT + " or required");
      }
      String reason = "no provisioned Asterisk root at " + ROOT + " (run: sudo scripts/asterisk.sh provision)";
      // Surefire keeps skip reasons out of its console summary, and test output goes to files: say it on the
      // build's own stderr, as scripts/asterisk.sh does.
      NATIVE_STDERR.println("Skipping " + context.getDisplayName() + ": " + reason);
      NATIVE_STDERR.flush();
      return ConditionEvaluationResult.disabled(reason);
    }

    private static final java.io.PrintStream NATIVE_STDERR =
        new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
  }

  private static boolean required() {
    return "1".equals(System.getenv("REQUIRE_ASTERISK")) || "true".equals(System.getenv("CI"));
  }

  /** Starts Asterisk on a free loopback port, or skips/fails the calling test as described above. */
  public static TestAsterisk startOrSkip() throws Exception {
    return startOrSkip("");
  }

  /**
   * As {@link #startOrSkip()}, for the named instance ({@code ASTERISK_INSTANCE}, e.g. "b"): several Asterisks from
   * the one root, each with its own configuration, state, log and port, started and stopped independently.
   */
  public static TestAsterisk startOrSkip(String instance) throws Exception {
    boolean required = required();
    boolean provisioned = Files.isRegularFile(ROOT.resolve(".provisioned"));
    if (!provisioned) {
      String reason = "no provisioned Asterisk root at " + ROOT + " (run: sudo scripts/asterisk.sh provision)";
      if (required) {
        throw new AssertionError("Asterisk is required (REQUIRE_ASTERISK/CI) but " + reason);
      }
      Assumptions.abort(reason);
    }
    Path projectDir = Path.of(System.getenv().getOrDefault("PROJECT_DIR", ".")).toAbsolutePath();
    TestAsterisk asterisk = new TestAsterisk(projectDir.resolve("scripts/asterisk.sh"), FreePorts.next(), instance);
    asterisk.start();
    return asterisk;
  }

  /** (Re)starts Asterisk on the same port, so the service's ARI_HTTP_URL stays valid. */
  public void start() throws Exception {
    String out = run("start", "--port", Integer.toString(port));
    Map<String, String> parsed = new HashMap<>();
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        parsed.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    if (!parsed.containsKey("ARI_HTTP_URL")) {
      throw new IllegalStateException("scripts/asterisk.sh start printed no ARI_HTTP_URL: " + out);
    }
    env = Map.copyOf(parsed);
  }

  public void stop() throws Exception {
    run("stop");
  }

  /** Environment for a service instance using this Asterisk, with its own ARI app (one event stream per app). */
  public Map<String, String> serviceEnv(String appName) {
    Map<String, String> service = TestApp.defaultEnv();
    TestApp.withAri(service, env.get("ARI_HTTP_URL"));
    service.put("ARI_USERNAME", env.get("ARI_USERNAME"));
    service.put("ARI_PASSWORD", env.get("ARI_PASSWORD"));
    service.put("ARI_APP", appName);
    service.put("ARI_ENDPOINT_TEMPLATE", env.get("ARI_ENDPOINT_TEMPLATE"));
    service.put("DEFAULT_CONTEXT", env.get("DEFAULT_CONTEXT"));
    return service;
  }

  /** The ARI URL, credentials and endpoint template as printed by {@code scripts/asterisk.sh start}. */
  public Map<String, String> env() {
    return env;
  }

  /**
   * Freezes Asterisk for {@code length} (SIGSTOP, then SIGCONT), as a host that stalls does: its sockets stay open,
   * requests sent meanwhile wait in them, and every timer that fell due fires on waking.
   */
  public void freeze(Duration length) throws Exception {
    String pid = Files.readString(ROOT.resolve("run-state" + instanceSuffix()).resolve("asterisk.pid")).trim();
    signal("STOP", pid);
    try {
      Thread.sleep(length.toMillis());
    } finally {
      signal("CONT", pid);
    }
  }

  private static void signal(String name, String pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, pid).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + pid + " failed");
    }
  }

  /** This instance's Asterisk log (notices, warnings, errors), on the host. */
  public Path messagesLog() {
    return ROOT.resolve("var/log/asterisk" + instanceSuffix() + "/messages");
  }

  /** scripts/asterisk.sh names a named instance's state and log directories with "-" and the instance. */
  private String instanceSuffix() {
    return instance.isEmpty() ? "" : "-" + instance;
  }

  /**
   * One entry of ASTERISK_SERVERS for this Asterisk: {@code name}, its ARI URL and credentials, {@code app} and
   * {@code endpointTemplate}.
   */
  public io.vertx.core.json.JsonObject serverEntry(String name, String app, String endpointTemplate, int weight) {
    return new io.vertx.core.json.JsonObject().put("name", name).put("ari_url", env.get("ARI_HTTP_URL"))
        .put("username", env.get("ARI_USERNAME")).put("password", env.get("ARI_PASSWORD")).put("app", app)
        .put("endpoint_template", endpointTemplate).put("weight", weight);
  }

  @Override
  public void close() throws Exception {
    stop();
  }

  private String run(String... args) throws Exception {
    String[] command = new String[args.length + 1];
    command[0] = script.toString();
    System.arraycopy(args, 0, command, 1, args.length);
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    if (!instance.isEmpty()) {
      builder.environment().put("ASTERISK_INSTANCE", instance);
    }
    Process process = builder.start();
    byte[] stdout = process.getInputStream().readAllBytes();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("scripts/asterisk.sh " + String.join(" ", args) + " timed out");
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException("scripts/asterisk.sh " + String.join(" ", args) + " exited "
          + process.exitValue());
    }
    return new String(stdout, StandardCharsets.UTF_8);
  }
}
