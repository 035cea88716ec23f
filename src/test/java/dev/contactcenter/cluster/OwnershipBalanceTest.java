package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.ServiceProcess;
import dev.contactcenter.support.SlowConnectProxy;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Four Asterisk servers (ARI sandboxes started by the test) and clustered services in this JVM on one database: a
 * node that starts alone owns every server; nodes that join are handed servers until the counts are within one,
 * with calls in progress followed throughout; a node that leaves hands its servers back.
 */
@DisplayName("Ownership spread over the cluster's nodes, calls in progress followed across each hand-over")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OwnershipBalanceTest {

  private static final Duration WITHIN = Duration.ofSeconds(15);
  private static final Duration BALANCED_WITHIN = Duration.ofSeconds(40);
  /** Callees and the hold IVR stay 10 minutes: the held calls outlive the test. */
  private static final SandboxTiming CALLS_STAY = new SandboxTiming(1_000, 2_000, 600_000, 1_000, 600_000, 1.0);
  /** Callees answer after 50 ms; numbers ending in 5 hang up 50 ms later. */
  private static final SandboxTiming FAST_CALLS = new SandboxTiming(50, 100, 100, 50, 100, 1.0);
  private static final List<String> SERVERS = List.of("ast-1", "ast-2", "ast-3", "ast-4");
  private static final String METRICS_TOKEN = "metrics-token-for-tests-0123456789";

  private final List<StandaloneAri> asterisks = new ArrayList<>();
  private final List<SlowConnectProxy> proxies = new ArrayList<>();
  private final List<TestApp> nodes = new ArrayList<>();
  private final List<ServiceProcess> processes = new ArrayList<>();
  private AppRegistrationWatch watch;
  private final int[] ports = new int[3];
  private String database;
  private JsonArray servers;
  private String secret;

  @AfterEach
  void stopAll() throws Exception {
    if (watch != null) {
      watch.close();
    }
    for (ServiceProcess process : processes) {
      process.close();
    }
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
    proxies.forEach(SlowConnectProxy::close);
    asterisks.forEach(StandaloneAri::close);
  }

  private void startParts() throws Exception {
    startParts(CALLS_STAY, 0, new JsonObject());
  }

  /**
   * @param connectDelayMs when above 0, each server is reached through a proxy holding new connections this long
   * @param serverFields   added to each server's entry (e.g. its dispatch limits)
   */
  private void startParts(SandboxTiming timing, long connectDelayMs, JsonObject serverFields) throws Exception {
    startParts(timing, connectDelayMs, serverFields, SERVERS.size());
  }

  private void startParts(SandboxTiming timing, long connectDelayMs, JsonObject serverFields, int serverCount)
      throws Exception {
    database = TestDatabase.freshDatabaseUrl();
    servers = new JsonArray();
    for (String name : SERVERS.subList(0, serverCount)) {
      StandaloneAri ari = StandaloneAri.start(StandaloneAri.USER, "balance-secret", timing);
      asterisks.add(ari);
      String url = ari.url();
      if (connectDelayMs > 0) {
        SlowConnectProxy proxy = SlowConnectProxy.start(ari.port(), connectDelayMs);
        proxies.add(proxy);
        url = "http://127.0.0.1:" + proxy.port();
      }
      servers.add(new JsonObject().put("name", name).put("ari_url", url).put("username", StandaloneAri.USER)
          .put("password", "balance-secret").put("endpoint_template", StandaloneAri.LOCAL_ENDPOINT).put("weight", 1)
          .mergeIn(serverFields));
    }
    for (int i = 0; i < ports.length; i++) {
      ports[i] = LoopbackCluster.freePort();
    }
  }

  private TestApp startNode(int index, Map<String, String> extra) throws Exception {
    TestApp node = TestApp.start(nodeEnv(index, extra));
    nodes.add(node);
    return node;
  }

  private Map<String, String> nodeEnv(int index, Map<String, String> extra) {
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("ARI_SANDBOX");
    secret = secret == null ? env.get("SECRET_KEY") : secret;
    env.put("SECRET_KEY", secret);
    env.put("DATABASE_URL", database);
    env.put("ASTERISK_SERVERS", servers.encode());
    env.put("NODE_NAME", "node-" + (char) ('a' + index));
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", "cc-balance-" + ports[0]);
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(ports[index]));
    env.put("CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2]);
    env.put("SHUTDOWN_GRACE_SECONDS", "2");
    env.put("METRICS_ENABLED", "true");
    env.put("METRICS_TOKEN", METRICS_TOKEN);
    env.putAll(extra);
    return env;
  }

  /** The servers each running node owns, by its own account. */
  private Map<String, List<String>> owners() {
    Map<String, List<String>> owned = new HashMap<>();
    for (TestApp node : nodes) {
      JsonObject all = node.app().vertx().eventBus().<JsonObject>request(EventBusAddresses.CLUSTER_OWNERSHIP,
          new JsonObject()).await().body();
      List<String> mine = all.getJsonArray("servers").stream().map(JsonObject.class::cast)
          .filter(s -> "owner".equals(s.getString("role"))).map(s -> s.getString("server")).toList();
      owned.put(all.getString("node"), mine);
    }
    return owned;
  }

  private static List<Integer> counts(Map<String, List<String>> owners) {
    return owners.values().stream().map(List::size).sorted().toList();
  }

  @Test
  @DisplayName("alone a node owns all four; joining nodes are handed 2/2, then 2/1/1; calls held throughout end right;"
      + " no server's ARI application is ever without a client during the hand-overs, nor when a node leaves")
  void joinsAreHandedServers() throws Exception {
    startParts();
    TestApp a = startNode(0, Map.of());
    assertThat(owners().get("node-a")).containsExactlyInAnyOrderElementsOf(SERVERS);
    ApiClient api = a.client();
    Calls.eventually(WITHIN, () -> assertThat(api.get("/health", null).status()).isEqualTo(200));
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    List<String> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      held.add(Calls.place(api, admin, new JsonObject().put("phone_number", "+155500071" + i + "0")
          .put("extension", "hold")));
    }
    Map<String, String> answeredAt = new HashMap<>();
    for (String id : held) {
      answeredAt.put(id, Calls.awaitStatus(api, admin, id, "answered", WITHIN).getString("answered_at"));
    }
    assertThat(TestDatabase.queryLong(database, "SELECT count(DISTINCT server) FROM calls")).isGreaterThan(1);

    watch = new AppRegistrationWatch(asterisks, SERVERS);
    long joined = System.nanoTime();
    startNode(1, Map.of());
    Calls.eventually(BALANCED_WITHIN, () -> assertThat(counts(owners())).containsExactly(2, 2));
    System.out.printf("two nodes balanced %d ms after the second started%n", (System.nanoTime() - joined) / 1_000_000);
    Calls.eventually(WITHIN, () -> {
      String scrape = a.client().get("/metrics", METRICS_TOKEN).body();
      assertThat(scrape.lines().filter(l -> l.startsWith("contact_center_ownership_handovers_total")))
          .as("the two hand-overs, counted by the node that made them").hasSize(2)
          .allMatch(l -> l.matches("contact_center_ownership_handovers_total\\{.*server=\"ast-[1-4]\".*} 1\\.0"));
    });
    // Every server owned exactly once, and the database agrees with the nodes.
    Map<String, List<String>> two = owners();
    assertThat(two.values().stream().flatMap(List::stream).sorted().toList()).isEqualTo(SERVERS);
    for (var entry : two.entrySet()) {
      for (String server : entry.getValue()) {
        assertThat(TestDatabase.queryString(database, "SELECT owner_node FROM asterisk_server_owners WHERE server = '"
            + server + "'")).isEqualTo(entry.getKey());
      }
    }

    startNode(2, Map.of());
    Calls.eventually(BALANCED_WITHIN, () -> assertThat(counts(owners())).containsExactly(1, 1, 2));
    Thread.sleep(OwnershipBalance.PAUSE_MS + 2 * OwnershipBalance.ANNOUNCE_MS);
    assertThat(counts(owners())).as("settled: no further hand-over").containsExactly(1, 1, 2);
    watch.close();
    System.out.printf("ARI applications watched %d times over the hand-overs%n", watch.rounds());
    // Make-before-break: the next owner's stream registers the app before the former owner's closes.
    assertThat(watch.unregistered()).as("moments a server's application had no client").isEmpty();
    assertThat(watch.rounds()).isGreaterThan(100);

    // The held calls were followed across both hand-overs: still answered, each answered and dialled once.
    ApiClient viaC = nodes.get(2).client();
    String adminC = viaC.login("admin", TestApp.ADMIN_PASSWORD);
    for (String id : held) {
      JsonObject call = Calls.get(viaC, adminC, id);
      assertThat(call.getString("status")).isEqualTo("answered");
      assertThat(call.getString("answered_at")).isEqualTo(answeredAt.get(id));
      assertThat(Calls.timeline(viaC, adminC, id)).containsExactly("pending→dialing", "dialing→ringing",
          "ringing→answered");
    }
    // New calls go to servers of every node and reach their IVR.
    List<String> later = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      later.add(Calls.place(viaC, adminC, new JsonObject().put("phone_number", "+155500072" + i + "0")
          .put("extension", "hold")));
    }
    for (String id : later) {
      Calls.awaitStatus(viaC, adminC, id, "answered", WITHIN);
    }
    held.addAll(later);
    // Held at least from before the join until the first hang-up is sent.
    long heldSeconds = Duration.ofNanos(System.nanoTime() - joined).toSeconds();
    long hangingUp = System.nanoTime();
    for (String id : held) {
      assertThat(viaC.post("/api/v2/calls/" + id + "/hangup", adminC, null).status()).isEqualTo(202);
    }
    System.out.printf("%d hang-ups sent in %d ms%n", held.size(), (System.nanoTime() - hangingUp) / 1_000_000);
    for (String id : held) {
      JsonObject ended = Calls.awaitFinal(viaC, adminC, id, WITHIN);
      assertThat(ended.getString("status")).isEqualTo("completed");
      if (answeredAt.containsKey(id)) {
        assertThat(ended.getInteger("duration")).as("held across the hand-overs").isGreaterThanOrEqualTo(
            (int) heldSeconds);
      }
      assertThat(ended.getBoolean("end_time_approximate", false)).as("hang-up seen live by the owner").isFalse();
    }
    assertThat(TestDatabase.queryLong(database, "SELECT count(*) FROM call_events WHERE to_status = 'dialing'"))
        .as("no call dialled twice").isEqualTo(held.size());

    // A node that leaves (graceful stop): its servers are taken by the others, again within one of each other, and
    // its streams stay until theirs have the apps.
    watch = new AppRegistrationWatch(asterisks, SERVERS);
    nodes.remove(2).close();
    Calls.eventually(WITHIN, () -> assertThat(counts(owners())).containsExactly(2, 2));
    Thread.sleep(500);
    watch.close();
    assertThat(watch.unregistered()).as("moments a server's application had no client, the node leaving").isEmpty();
  }

  @Test
  @DisplayName("a node stopping gracefully while it owns fewer servers than the other: its server is taken at once,"
      + " not left to the leaving node's last announced load")
  void aLeavingNodeIsNotYieldedTo() throws Exception {
    startParts(CALLS_STAY, 0, new JsonObject(), 3);
    TestApp a = startNode(0, Map.of());
    TestApp b = startNode(1, Map.of());
    Calls.eventually(BALANCED_WITHIN, () -> assertThat(counts(owners())).containsExactly(1, 2));
    String left = owners().get("node-b").get(0);
    CompletableFuture<Instant> releasedAt = new CompletableFuture<>();
    a.app().vertx().eventBus().<JsonObject>consumer(EventBusAddresses.CLUSTER_SERVER_RELEASED, msg -> {
      if (left.equals(msg.body().getString("server"))) {
        releasedAt.complete(Instant.now());
      }
    }).completion().await();

    nodes.remove(b);
    b.close();
    Calls.eventually(WITHIN, () -> assertThat(owners().get("node-a")).hasSize(3));
    Instant taken = Instant.parse(TestDatabase.queryString(database, "SELECT to_json(acquired_at) #>> '{}' FROM"
        + " asterisk_server_owners WHERE server = '" + left + "'"));
    long takenMs = Duration.between(releasedAt.get(5, TimeUnit.SECONDS), taken).toMillis();
    System.out.printf("server %s of the leaving node taken %d ms after its release%n", left, takenMs);
    assertThat(takenMs).as("not left to the leaving node for the yield rule's grace").isLessThan(1_000);
  }

  @Test
  @DisplayName("a node owning half the servers killed (kill -9): the other takes each of them within 2.5 s, not"
      + " leaving one to the dead node's last announced load")
  void aKilledNodeIsNotYieldedTo() throws Exception {
    startParts();
    startNode(0, Map.of());
    Map<String, String> env = nodeEnv(1, Map.of("HTTP_PORT", String.valueOf(ServiceProcess.freePort())));
    ServiceProcess b = ServiceProcess.start(env, Path.of("target", "ownership-balance", "node-b-killed.log"), "serve");
    processes.add(b);
    b.awaitOk("/health", BALANCED_WITHIN);
    String ownedByB = "SELECT count(*) FROM asterisk_server_owners WHERE owner_node = 'node-b'";
    Calls.eventually(BALANCED_WITHIN, () -> assertThat(TestDatabase.queryLong(database, ownedByB)).isEqualTo(2));
    List<String> left = new ArrayList<>();
    for (String server : SERVERS) {
      if ("node-b".equals(TestDatabase.queryString(database, "SELECT owner_node FROM asterisk_server_owners WHERE"
          + " server = '" + server + "'"))) {
        left.add(server);
      }
    }
    // Both announce their load each second: let node b's last announcement say it owns two.
    Thread.sleep(1_500);

    Instant killed = Instant.now();
    b.kill9();
    Calls.eventually(WITHIN, () -> assertThat(TestDatabase.queryLong(database, ownedByB)).isZero());
    List<Long> takenMs = new ArrayList<>();
    for (String server : left) {
      takenMs.add(Duration.between(killed, Instant.parse(TestDatabase.queryString(database, "SELECT"
          + " to_json(acquired_at) #>> '{}' FROM asterisk_server_owners WHERE server = '" + server + "'"))).toMillis());
    }
    System.out.printf("servers %s of the killed node taken %s ms after the kill%n", left, takenMs);
    assertThat(takenMs).allMatch(ms -> ms < 2_500);
  }

  @Test
  @DisplayName("calls placed without pause while two servers are handed over, then taken back from a node stopping"
      + " gracefully: none refused, each dialled once, every one completed")
  void callsPlacedThroughHandOversAreNotRefused() throws Exception {
    // Calls reach their IVR within ~50 ms (nothing to wait for at a hand-over), and a new owner's event stream opens
    // 300 ms after it took a server over, as with a real Asterisk at some distance.
    startParts(FAST_CALLS, 300, new JsonObject());
    TestApp a = startNode(0, Map.of());
    Calls.eventually(WITHIN, () -> assertThat(a.client().get("/health", null).status()).isEqualTo(200));
    String admin = a.client().login("admin", TestApp.ADMIN_PASSWORD);
    List<ApiClient> entries = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(a.client()));
    List<String> placed = java.util.Collections.synchronizedList(new ArrayList<>());
    List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean placing = new java.util.concurrent.atomic.AtomicBoolean(true);
    List<Thread> placers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      int offset = t;
      Thread placer = new Thread(() -> {
        // Numbers ending in 5: the callee answers after 50 ms and hangs up 50 ms later (completed).
        for (int i = offset; placing.get(); i += 3) {
          ApiClient.Response r = entries.get(i % entries.size()).post("/api/v2/calls", admin,
              new JsonObject().put("phone_number", "+1555000" + String.format("%04d", i % 10_000) + "5"));
          if (r.status() == 201) {
            placed.add(r.json().getString("call_id"));
          } else {
            refused.add(r.status() + " " + r.body());
          }
        }
      });
      placer.start();
      placers.add(placer);
    }
    Thread.sleep(1_000);
    TestApp b = startNode(1, Map.of());
    ApiClient viaB = b.client();
    entries.add(viaB);
    Calls.eventually(BALANCED_WITHIN, () -> assertThat(counts(owners())).containsExactly(2, 2));
    Thread.sleep(2_000);
    // Then node b stops gracefully (SIGTERM) while calls go on through node a: its two servers go back to a.
    assertThat(entries.remove(viaB)).isTrue();
    Thread.sleep(500);
    nodes.remove(b);
    b.close();
    Calls.eventually(WITHIN, () -> assertThat(counts(owners())).containsExactly(4));
    Thread.sleep(1_000);
    placing.set(false);
    for (Thread placer : placers) {
      placer.join();
    }
    System.out.printf("%d calls placed through two hand-overs and a graceful stop, %d refused%n", placed.size(),
        refused.size());
    assertThat(refused).as("requests refused during the hand-overs").isEmpty();
    assertThat(placed.size()).isGreaterThan(100);
    assertThat(TestDatabase.queryLong(database, "SELECT count(DISTINCT server) FROM calls")).isEqualTo(4);
    Calls.eventually(Duration.ofSeconds(60), () -> assertThat(TestDatabase.queryLong(database,
        "SELECT count(*) FROM calls WHERE status = 'completed'")).isEqualTo(placed.size()));
    assertThat(TestDatabase.queryLong(database, "SELECT count(*) FROM call_events WHERE to_status = 'dialing'"))
        .as("each call dialled once").isEqualTo(placed.size());
  }

  @Test
  @DisplayName("a rate-limited queue keeps draining through two hand-overs: every queued call dialled once, none failed")
  void queuedCallsCrossHandOvers() throws Exception {
    // 2 calls/s per server: 240 calls are a 30 s backlog, so both hand-overs come while calls wait for their slot.
    startParts(FAST_CALLS, 0, new JsonObject().put("max_calls_per_second", 2));
    TestApp a = startNode(0, Map.of());
    Calls.eventually(WITHIN, () -> assertThat(a.client().get("/health", null).status()).isEqualTo(200));
    String admin = a.client().login("admin", TestApp.ADMIN_PASSWORD);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 240; i++) {
      ids.add(Calls.place(a.client(), admin, new JsonObject().put("phone_number",
          "+1555001" + String.format("%04d", i) + "5")));
    }
    startNode(1, Map.of());
    Calls.eventually(BALANCED_WITHIN, () -> assertThat(counts(owners())).containsExactly(2, 2));
    assertThat(TestDatabase.queryLong(database, "SELECT count(*) FROM calls WHERE status = 'queued'"))
        .as("still queued when the servers were balanced").isPositive();
    Calls.eventually(Duration.ofSeconds(90), () -> assertThat(TestDatabase.queryLong(database,
        "SELECT count(*) FROM calls WHERE status IN ('queued', 'pending', 'dialing', 'ringing', 'answered')"))
        .isZero());
    assertThat(TestDatabase.queryString(database, "SELECT string_agg(status || ' ' || coalesce(failure_reason, ''),"
        + " '; ') FROM calls WHERE status <> 'completed'")).as("calls not completed").isNull();
    assertThat(TestDatabase.queryLong(database, "SELECT count(*) FROM call_events WHERE to_status = 'dialing'"))
        .as("each call dialled once").isEqualTo(ids.size());
  }

  @Test
  @DisplayName("CLUSTER_BALANCE=false: a node that joins stands by, the first keeps every server")
  void balanceOff() throws Exception {
    startParts();
    startNode(0, Map.of("CLUSTER_BALANCE", "false"));
    startNode(1, Map.of("CLUSTER_BALANCE", "false"));
    Thread.sleep(OwnershipLoads.SETTLED_NS / 1_000_000 + 3 * OwnershipBalance.ANNOUNCE_MS);
    Map<String, List<String>> owners = owners();
    assertThat(owners.get("node-a")).containsExactlyInAnyOrderElementsOf(SERVERS);
    assertThat(owners.get("node-b")).isEmpty();
  }
}
