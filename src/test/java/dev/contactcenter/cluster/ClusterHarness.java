package dev.contactcenter.cluster;

import dev.contactcenter.support.TempDirs;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.ServiceProcess;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster on real parts for the cluster tests: two Asterisks from the one test root (the default instance as
 * server {@value #SERVER_A}, instance "b" as {@value #SERVER_B}), one PostgreSQL, and service nodes each in its own
 * JVM (clustered over loopback: Hazelcast, event bus and HTTP on 127.0.0.1), all configured with the same
 * ASTERISK_SERVERS. Everything it starts is stopped by {@link #close()}, each process by its pid.
 */
final class ClusterHarness implements AutoCloseable {

  static final String SERVER_A = "ast-a";
  static final String SERVER_B = "ast-b";
  /** The time of a log line: "HH:mm:ss.SSS" at its start, after an optional ISO date. */
  private static final Pattern LOG_TIME = Pattern.compile("^(?:\\d{4}-\\d\\d-\\d\\dT)?(\\d\\d:\\d\\d:\\d\\d\\.\\d{3})");
  private static final Pattern DIALLED = Pattern.compile("dialled ([0-9]+)\\s*$");

  private final TestAsterisk asteriskA;
  private final TestAsterisk asteriskB;
  private final String databaseUrl;
  private final JsonArray servers;
  private final String clusterName;
  private final Path logs;
  /** Node name to its cluster (Hazelcast) port, fixed for the node's life and its restarts. */
  private final Map<String, Integer> clusterPorts = new LinkedHashMap<>();
  private final Map<String, ServiceProcess> nodes = new LinkedHashMap<>();
  private final List<ServiceProcess> others = new ArrayList<>();
  private final Map<String, Integer> restarts = new HashMap<>();

  private ClusterHarness(TestAsterisk asteriskA, TestAsterisk asteriskB, String databaseUrl, String app,
      List<String> nodeNames) throws IOException {
    this.asteriskA = asteriskA;
    this.asteriskB = asteriskB;
    this.databaseUrl = databaseUrl;
    String template = "Local/{digits}@cluster-callee/n";
    this.servers = new JsonArray().add(asteriskA.serverEntry(SERVER_A, app, template, 1))
        .add(asteriskB.serverEntry(SERVER_B, app, template, 1));
    this.clusterName = "cc-it-" + ProcessHandle.current().pid();
    this.logs = TempDirs.create("cc-cluster-it");
    for (String name : nodeNames) {
      clusterPorts.put(name, LoopbackCluster.freePort());
    }
  }

  /** Starts both Asterisks (or skips, see {@link TestAsterisk}) and creates the shared database. */
  static ClusterHarness start(List<String> nodeNames) throws Exception {
    TestAsterisk a = TestAsterisk.startOrSkip();
    TestAsterisk b;
    try {
      b = TestAsterisk.startOrSkip("b");
    } catch (Exception | AssertionError e) {
      a.close();
      throw e;
    }
    String app = "cc-cluster-" + ProcessHandle.current().pid();
    return new ClusterHarness(a, b, TestDatabase.freshDatabaseUrl(), app, nodeNames);
  }

  /** The environment every node shares: database, secrets, ASTERISK_SERVERS. */
  Map<String, String> commonEnv() {
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("ARI_SANDBOX");
    env.put("DATABASE_URL", databaseUrl);
    env.put("ASTERISK_SERVERS", servers.encode());
    env.put("SHUTDOWN_GRACE_SECONDS", "5");
    return env;
  }

  /**
   * Starts (or restarts) the clustered node {@code name} and waits until its /health answers 200. A restart takes
   * fresh ports, as a replacement host would: the killed JVM's ports may linger in TIME_WAIT.
   */
  ServiceProcess startNode(String name) throws Exception {
    ServiceProcess node;
    synchronized (this) {
      int run = restarts.merge(name, 1, Integer::sum);
      if (run > 1) {
        clusterPorts.put(name, LoopbackCluster.freePort());
      }
      node = ServiceProcess.start(clusteredEnv(name), logs.resolve(name + "-" + run + ".log"), "serve");
      others.add(node);
    }
    node.awaitOk("/health", Duration.ofSeconds(120));
    synchronized (this) {
      nodes.put(name, node);
    }
    return node;
  }

  /** {@link #startNode} on another thread: JVM start-ups overlap (each takes seconds, mostly waiting). */
  CompletableFuture<ServiceProcess> startNodeAsync(String name) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return startNode(name);
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
  }

  /** A non-clustered service with the same server settings and database, on its own HTTP port (not awaited). */
  ServiceProcess startStandalone(String name) throws Exception {
    Map<String, String> env = commonEnv();
    env.putAll(shared());
    env.put("NODE_NAME", name);
    env.put("HTTP_PORT", String.valueOf(ServiceProcess.freePort()));
    ServiceProcess standalone = ServiceProcess.start(env, logs.resolve(name + ".log"), "serve");
    synchronized (this) {
      others.add(standalone);
    }
    return standalone;
  }

  private Map<String, String> shared() {
    return Map.of("DEFAULT_EXTENSION", "hold");
  }

  private Map<String, String> clusteredEnv(String name) {
    Map<String, String> env = commonEnv();
    env.putAll(shared());
    try {
      env.put("HTTP_PORT", String.valueOf(ServiceProcess.freePort()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    env.put("NODE_NAME", name);
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", clusterName);
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(clusterPorts.get(name)));
    env.put("CLUSTER_BUS_HOST", "127.0.0.1");
    env.put("CLUSTER_MEMBERS", String.join(",", clusterPorts.values().stream().map(p -> "127.0.0.1:" + p).toList()));
    return env;
  }

  synchronized ServiceProcess node(String name) {
    return nodes.get(name);
  }

  /** Names of the started nodes (their /health answered) whose JVM is alive. */
  synchronized List<String> liveNodes() {
    return nodes.entrySet().stream().filter(e -> e.getValue().alive()).map(Map.Entry::getKey).toList();
  }

  String databaseUrl() {
    return databaseUrl;
  }

  Path logs() {
    return logs;
  }

  /** Copies the nodes' logs as they are now where they outlive the run (see {@link TempDirs#keepCopy}). */
  Path keepLogs(String label) {
    return TempDirs.keepCopy(logs, Path.of("target", "cluster-logs"), label);
  }

  /** The server's current ownership from the database: who holds its lock now and under which epoch. */
  record Ownership(String node, long epoch, boolean owned) {
  }

  Ownership ownership(String server) throws SQLException {
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
        "SELECT owner_node, epoch, owned FROM asterisk_server_status WHERE server = ?")) {
      s.setString(1, server);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? new Ownership(rs.getString(1), rs.getLong(2), rs.getBoolean(3)) : new Ownership(null, 0,
            false);
      }
    }
  }

  /** Waits until some node holds the server's lock under an epoch above {@code after}; fails after {@code within}. */
  Ownership awaitOwned(String server, long after, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    Ownership now = ownership(server);
    while (!(now.owned() && now.epoch() > after)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("server " + server + " not owned above epoch " + after + " within " + within
            + "; last seen " + now);
      }
      Thread.sleep(20);
      now = ownership(server);
    }
    return now;
  }

  /**
   * Milliseconds from {@code since} (wall clock of this machine) to the first "Connected to ARI events" at the
   * server's Asterisk logged by a live node after it, waiting up to {@code within}: when the new owner has the
   * server's event stream again (its reconciliation follows at once).
   */
  long awaitStreamConnected(String server, LocalTime since, Duration within) throws Exception {
    String url = (SERVER_A.equals(server) ? asteriskA : asteriskB).env().get("ARI_HTTP_URL") + "/ari/events";
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      for (String name : liveNodes()) {
        for (String line : node(name).log().split("\n")) {
          Matcher m = LOG_TIME.matcher(line);
          if (line.contains("Connected to ARI events at " + url) && m.find()) {
            LocalTime at = LocalTime.parse(m.group(1));
            if (!at.isBefore(since)) {
              return java.time.temporal.ChronoUnit.MILLIS.between(since, at);
            }
          }
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no node connected to " + url + " within " + within + " of " + since);
      }
      Thread.sleep(50);
    }
  }

  /** Waits until the node's /health finds every server's owner connected to its Asterisk. */
  void awaitAsteriskUp(String name, Duration within) {
    dev.contactcenter.support.Calls.eventually(within, () -> {
      String status;
      try {
        status = node(name).client().unchecked().get("/health", null).json().getJsonObject("checks")
            .getJsonObject("asterisk").getString("status");
      } catch (RuntimeException e) {
        throw new AssertionError(e);
      }
      if (!"up".equals(status)) {
        throw new AssertionError("asterisk " + status + " on " + name);
      }
    });
  }

  Connection connect() throws SQLException {
    DatabaseUrl url = DatabaseUrl.parse(databaseUrl);
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  /** Both Asterisks' messages files. */
  List<Path> messagesLogs() {
    return List.of(asteriskA.messagesLog(), asteriskB.messagesLog());
  }

  /** How often each number was dialled, counted on both Asterisks' side (their [cluster-callee] log lines). */
  Map<String, Integer> dialCounts() throws IOException {
    Map<String, Integer> counts = new HashMap<>();
    for (TestAsterisk asterisk : List.of(asteriskA, asteriskB)) {
      Path log = asterisk.messagesLog();
      if (!Files.exists(log)) {
        continue;
      }
      for (String line : Files.readAllLines(log)) {
        Matcher m = DIALLED.matcher(line);
        if (m.find()) {
          counts.merge(m.group(1), 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  /** Numbers dialled on one Asterisk ({@code a} true: server A). */
  List<String> dialledOn(boolean a) throws IOException {
    List<String> numbers = new ArrayList<>();
    Path log = (a ? asteriskA : asteriskB).messagesLog();
    if (Files.exists(log)) {
      for (String line : Files.readAllLines(log)) {
        Matcher m = DIALLED.matcher(line);
        if (m.find()) {
          numbers.add(m.group(1));
        }
      }
    }
    return numbers;
  }

  @Override
  public void close() throws Exception {
    List<ServiceProcess> started;
    synchronized (this) {
      started = List.copyOf(others);
    }
    for (ServiceProcess process : started) {
      process.close();
    }
    try {
      asteriskA.close();
    } finally {
      asteriskB.close();
    }
  }
}
