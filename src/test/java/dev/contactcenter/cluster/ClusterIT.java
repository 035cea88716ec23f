package dev.contactcenter.cluster;

import static dev.contactcenter.cluster.ClusterHarness.SERVER_A;
import static dev.contactcenter.cluster.ClusterHarness.SERVER_B;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BridgeSocket;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.ServiceProcess;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Issue 11 on real parts: three clustered service JVMs, two real Asterisk 22 processes from the test root, one
 * PostgreSQL. Calls go through every node to both Asterisks; the owner of a server is killed with 30 calls in flight
 * and a standby takes over within the bound with every call ending right and none dialled twice; a standalone
 * service with the same settings stands by; a stale owner's write is refused by the epoch fence. The numbers of
 * [cluster-callee] fix each call's outcome and talk time, and Asterisk logs every number it dials.
 */
@DisplayName("Cluster: 3 nodes, 2 Asterisks, 1 PostgreSQL")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(TestAsterisk.Provisioned.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClusterIT {

  /** Issue 11's bound for a takeover after kill -9. */
  static final long TAKEOVER_BOUND_MS = 10_000;
  private static final int KILL_CALLS = 30;
  private static final int KILLS = 5;
  private static final Duration FINAL_WAIT = Duration.ofSeconds(60);

  private ClusterHarness cluster;
  private Vertx vertx;
  private String username;
  private String password;
  /** Every call placed by this class: id to its expectation, checked once more at the end. */
  private final Map<String, ClusterCalls.Expected> placed = new LinkedHashMap<>();
  /** Kill to the new owner's ARI stream connected: the takeover the bound is about. */
  private final List<Long> takeoverMs = new ArrayList<>();
  /** Kill to the new owner holding the server's lock (the first part of the takeover). */
  private final List<Long> lockMs = new ArrayList<>();
  /** Killed nodes starting again in the background, oldest first. */
  private final Deque<CompletableFuture<ServiceProcess>> restarting = new ArrayDeque<>();
  private long staleEpoch;

  /** A failed test's node logs are kept (the harness's own directory is deleted at exit). */
  @RegisterExtension
  final TestWatcher keepLogsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (cluster != null) {
        cluster.keepLogs(context.getRequiredTestMethod().getName());
      }
    }
  };

  @BeforeAll
  void startCluster() throws Exception {
    cluster = ClusterHarness.start(List.of("node-a", "node-b", "node-c"));
    vertx = Vertx.vertx();
    // Started in turn: node-a, the first, takes both servers; node-b and node-c stand by.
    cluster.startNode("node-a");
    cluster.awaitOwned(SERVER_A, 0, Duration.ofSeconds(30));
    cluster.awaitOwned(SERVER_B, 0, Duration.ofSeconds(30));
    CompletableFuture.allOf(cluster.startNodeAsync("node-b"), cluster.startNodeAsync("node-c")).join();
    // Then the balance hands one server to another node. Until it has, a test's calls avoid the server being handed
    // over (all went to the other server once, and "calls reach both Asterisks" failed): wait for it, for the next
    // owner's stream, and for one more read of every node's server directory (one a second).
    Calls.eventually(Duration.ofSeconds(60), () -> {
      try {
        ClusterHarness.Ownership a = cluster.ownership(SERVER_A);
        ClusterHarness.Ownership b = cluster.ownership(SERVER_B);
        assertThat(a.owned() && b.owned() && !a.node().equals(b.node())).as("servers on two nodes: " + a + ", " + b)
            .isTrue();
      } catch (SQLException e) {
        throw new AssertionError(e);
      }
    });
    for (String node : cluster.liveNodes()) {
      cluster.awaitAsteriskUp(node, Duration.ofSeconds(30));
    }
    Thread.sleep(2_000);
    ApiClient api = cluster.node("node-a").client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    username = Calls.uniqueName("cluster");
    password = "password-of-" + username;
    Calls.createUser(api, admin, username);
  }

  @AfterAll
  void stopCluster() throws Exception {
    try {
      if (vertx != null) {
        vertx.close().await();
      }
    } finally {
      if (cluster != null) {
        System.out.println("cluster logs: " + cluster.logs());
        cluster.close();
      }
    }
  }

  private CallProbe probe(String node) {
    ApiClient api = cluster.node(node).client();
    return new CallProbe(api, api.login(username, password));
  }

  private String place(CallProbe via, String number, ClusterCalls.Expected expected, JsonObject options) {
    String id = via.place(number, options);
    placed.put(id, expected);
    return id;
  }

  @Test
  @Order(1)
  @DisplayName("calls through every node reach both Asterisks with every outcome right; a bridge client on node-c "
      + "sees node-a's calls live")
  void callsThroughEveryNode() throws Exception {
    String[] statuses = {"completed", "busy", "no_answer", "failed", "failed", "completed", "failed"};
    Map<String, ClusterCalls.Expected> calls = new LinkedHashMap<>();
    String token = cluster.node("node-c").client().login(username, password);
    try (BridgeSocket bridge = BridgeSocket.open(port("node-c"), token)) {
      bridge.listen("calls.status.owner." + username, token);
      List<String> nodes = List.of("node-a", "node-b", "node-c");
      for (int n = 0; n < nodes.size(); n++) {
        CallProbe via = probe(nodes.get(n));
        for (int digit = 0; digit < statuses.length; digit++) {
          // ...0000<digit>: a [callee] whose last digit picks the outcome; 3 s to answer, so 2 is no_answer fast.
          String number = String.format("+1555%d%02d0000%d", n + 1, digit, digit);
          ClusterCalls.Expected expected = new ClusterCalls.Expected(number, statuses[digit], -1);
          calls.put(place(via, number, expected, new JsonObject().put("timeout", 3000).put("extension", "s")),
              expected);
        }
      }
      CallProbe reader = probe("node-b");
      Set<String> servers = new HashSet<>();
      for (Map.Entry<String, ClusterCalls.Expected> call : calls.entrySet()) {
        JsonObject done = reader.awaitFinal(call.getKey(), FINAL_WAIT);
        assertThat(done.getString("status")).as(done.encode()).isEqualTo(call.getValue().status());
        servers.add(done.getString("server"));
        // Live on node-c's bridge, whichever node owns the call's server.
        bridge.awaitStatus(call.getKey(), done.getString("status"), Duration.ofSeconds(10));
      }
      assertThat(servers).as("servers the calls ran on").containsExactlyInAnyOrder(SERVER_A, SERVER_B);
      String answered = calls.keySet().iterator().next();
      assertThat(bridge.received(answered).stream().map(f -> f.getJsonObject("body").getString("status")))
          .containsExactly("dialing", "ringing", "answered", "completed");
    }
    assertThat(cluster.dialledOn(true)).as("numbers dialled on Asterisk A").isNotEmpty();
    assertThat(cluster.dialledOn(false)).as("numbers dialled on Asterisk B").isNotEmpty();
    ClusterCalls.assertDialledOnce(cluster, calls.values());
  }

  @Test
  @Order(2)
  @DisplayName("kill -9 of a server's owner with 30 calls ringing or answered: a standby owns it within 10 s; "
      + "0 stuck, 0 lost, 0 dialled twice, statuses and durations right")
  void killOwnerWithCallsInFlight() throws Exception {
    ClusterHarness.Ownership before = cluster.ownership(SERVER_A);
    String victim = before.node();
    String survivor = cluster.liveNodes().stream().filter(n -> !n.equals(victim)).findFirst().orElseThrow();
    CallProbe via = probe(survivor);
    Map<String, ClusterCalls.Expected> calls = new LinkedHashMap<>();
    Map<String, String> atKill = new LinkedHashMap<>();
    for (int i = 0; i < KILL_CALLS; i++) {
      // ...9RRTT: half answered after 1 s, half still ringing at the kill (answered 8-10 s after placing, so after
      // the takeover: Asterisk hangs up a callee who answers while no node has the app's stream); all talk 12-21 s
      // on the `hold` IVR, so they end well after the takeover.
      boolean ringing = i % 2 == 1;
      int ring = ringing ? 8 + i % 3 : 1;
      int talk = 12 + i % 10;
      String number = String.format("+1556%02d9%02d%02d", i, ring, talk);
      ClusterCalls.Expected expected = new ClusterCalls.Expected(number, "completed", talk);
      String id = place(via, number, expected, new JsonObject());
      calls.put(id, expected);
      atKill.put(id, ringing ? "ringing" : "answered");
    }
    for (Map.Entry<String, String> call : atKill.entrySet()) {
      assertThat(via.awaitStatus(call.getKey(), call.getValue(), Duration.ofSeconds(20)).getString("status"))
          .isEqualTo(call.getValue());
    }
    long took = killAndAwaitTakeover(victim, before.epoch());
    staleEpoch = before.epoch();
    assertThat(took).isLessThanOrEqualTo(TAKEOVER_BOUND_MS);
    ClusterCalls.assertEndRight(probe(survivor), calls, cluster.messagesLogs());
    ClusterCalls.assertDialledOnce(cluster, calls.values());
  }

  /**
   * SIGKILLs the node, measures until another node holds the server above {@code epoch}, then starts the killed
   * node again in the background.
   */
  private long killAndAwaitTakeover(String victim, long epoch) throws Exception {
    long killedAt = System.nanoTime();
    LocalTime killedAtClock = LocalTime.now();
    cluster.node(victim).kill9();
    ClusterHarness.Ownership after = cluster.awaitOwned(SERVER_A, epoch, Duration.ofMillis(TAKEOVER_BOUND_MS * 3));
    long locked = (System.nanoTime() - killedAt) / 1_000_000;
    assertThat(after.node()).isNotEqualTo(victim);
    long streaming = cluster.awaitStreamConnected(SERVER_A, killedAtClock, Duration.ofMillis(TAKEOVER_BOUND_MS * 3));
    lockMs.add(locked);
    takeoverMs.add(streaming);
    System.out.printf("kill -9 of %s, owner of %s: lock taken by %s after %d ms, its ARI stream connected after %d ms%n",
        victim, SERVER_A, after.node(), locked, streaming);
    restarting.add(cluster.startNodeAsync(victim));
    return streaming;
  }

  @Test
  @Order(3)
  @DisplayName("a stale owner's write after the takeover is refused by the epoch fence (SQLSTATE CCF01)")
  void staleOwnerWriteRefused() throws Exception {
    assertThat(staleEpoch).as("the kill test ran first").isPositive();
    ClusterHarness.Ownership now = cluster.ownership(SERVER_A);
    assertThat(now.epoch()).isGreaterThan(staleEpoch);
    try (Connection c = cluster.connect()) {
      c.setAutoCommit(false);
      UUID call;
      try (var s = c.createStatement(); var rs = s.executeQuery(
          "SELECT id FROM calls WHERE server = '" + SERVER_A + "' ORDER BY created_at LIMIT 1")) {
        assertThat(rs.next()).as("a call ran on " + SERVER_A).isTrue();
        call = rs.getObject(1, UUID.class);
      }
      String write = "UPDATE calls SET failure_reason = 'stale write', owner_epoch = ? WHERE id = ?";
      // The same write under the current epoch goes through (rolled back): the fence tells epochs apart.
      try (PreparedStatement current = c.prepareStatement(write)) {
        current.setLong(1, now.epoch());
        current.setObject(2, call);
        assertThat(current.executeUpdate()).isEqualTo(1);
      }
      c.rollback();
      try (PreparedStatement stale = c.prepareStatement(write)) {
        stale.setLong(1, staleEpoch);
        stale.setObject(2, call);
        assertThatThrownBy(stale::executeUpdate).isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("CCF01"));
      }
      c.rollback();
    }
  }

  @Test
  @Order(4)
  @DisplayName("a standalone service with the same server settings stands by: ownership unmoved, 0 events lost")
  void standaloneStandsBy() throws Exception {
    ClusterHarness.Ownership a = cluster.ownership(SERVER_A);
    ClusterHarness.Ownership b = cluster.ownership(SERVER_B);
    String node = cluster.liveNodes().get(0);
    CallProbe via = probe(node);
    Map<String, ClusterCalls.Expected> calls = new LinkedHashMap<>();
    for (int i = 0; i < 6; i++) {
      // Ring 2 s, talk 6 s: in flight while the standalone service starts beside the cluster.
      String number = String.format("+1557%02d90206", i);
      ClusterCalls.Expected expected = new ClusterCalls.Expected(number, "completed", 6);
      calls.put(place(via, number, expected, new JsonObject()), expected);
    }
    // Stopped before anything else happens: standing by, it would take the servers over if their owner died.
    try (ServiceProcess standalone = cluster.startStandalone("solo")) {
      Calls.eventually(Duration.ofSeconds(60), () -> assertThat(standalone.tail(400)).containsPattern(
          "(?i)stand(s|ing)? ?by"));
      Calls.eventually(Duration.ofSeconds(60), () -> {
        String health;
        try {
          health = standalone.client().unchecked().get("/health", null).body();
        } catch (RuntimeException notListeningYet) {
          throw new AssertionError(notListeningYet);
        }
        assertThat(health).as("/health of the standalone service").contains("stands by");
      });
      ClusterCalls.assertEndRight(via, calls, cluster.messagesLogs());
      for (String id : calls.keySet()) {
        assertThat(via.timeline(id)).as("every event of " + id).containsExactly("dialing", "ringing", "answered",
            "completed");
      }
      assertThat(cluster.ownership(SERVER_A)).isEqualTo(a);
      assertThat(cluster.ownership(SERVER_B)).isEqualTo(b);
      ClusterCalls.assertDialledOnce(cluster, calls.values());
      standalone.sigterm(Duration.ofSeconds(20));
    }
  }

  @Test
  @Order(5)
  @DisplayName("takeover time over 5 kills of the owner (the node restarted each time), calls ending right")
  void takeoverOverKills() throws Exception {
    while (takeoverMs.size() < KILLS) {
      // An owner and at least one standby before each kill.
      while (cluster.liveNodes().size() < 2) {
        restarting.remove().join();
      }
      ClusterHarness.Ownership before = cluster.awaitOwned(SERVER_A, 0, Duration.ofSeconds(30));
      String victim = before.node();
      String survivor = cluster.liveNodes().stream().filter(n -> !n.equals(victim)).findFirst().orElseThrow();
      // Settled after the last takeover: the survivor reaches every server's owner (a request sent while the dead
      // owner's bus registrations linger times out).
      cluster.awaitAsteriskUp(survivor, Duration.ofSeconds(30));
      CallProbe via = probe(survivor);
      // Four calls ringing at each kill (answered 5 s after placing, talk 4 s), checked with all others at the end.
      List<String> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        String number = String.format("+1558%d%d90704", takeoverMs.size(), i);
        calls.add(place(via, number, new ClusterCalls.Expected(number, "completed", 4), new JsonObject()));
      }
      for (String id : calls) {
        via.awaitStatus(id, "ringing", Duration.ofSeconds(20));
      }
      killAndAwaitTakeover(victim, before.epoch());
      // Answered under the new owner, and ended before the next kill: a call answering or hanging up while no node
      // has the stream is settled with an approximate end (right, but not the exact talk time checked at the end),
      // and that would be the next kill's gap, not this one's.
      for (String id : calls) {
        assertThat(via.awaitStatus(id, "answered", Duration.ofSeconds(20)).getString("status")).isEqualTo("answered");
      }
      for (String id : calls) {
        via.awaitFinal(id, Duration.ofSeconds(20));
      }
    }
    long max = takeoverMs.stream().mapToLong(Long::longValue).max().orElseThrow();
    double mean = takeoverMs.stream().mapToLong(Long::longValue).average().orElseThrow();
    String report = String.format("ClusterIT: takeover of a server after kill -9 of its owner node (to the new "
        + "owner's ARI stream connected) over %d kills: %s ms; mean %.0f ms, max %d ms (bound %d ms); of which to the "
        + "lock taken: %s ms%n", takeoverMs.size(), takeoverMs, mean, max, TAKEOVER_BOUND_MS, lockMs);
    System.out.print(report);
    Path out = Path.of("target", "cluster-it-takeover.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, report);
    assertThat(takeoverMs).allMatch(ms -> ms <= TAKEOVER_BOUND_MS);
    // Nothing placed by this class is stuck or lost, and none was dialled twice.
    CallProbe reader = probe(cluster.liveNodes().get(0));
    ClusterCalls.assertEndRight(reader, placed, cluster.messagesLogs());
    ClusterCalls.assertDialledOnce(cluster, placed.values());
  }

  private int port(String node) {
    return URI.create(cluster.node(node).base()).getPort();
  }
}
