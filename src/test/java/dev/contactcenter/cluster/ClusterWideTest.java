package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BridgeSocket;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Three clustered services in this JVM (each with its own Vert.x, Hazelcast member and HTTP port) on one database:
 * what one node does is seen on the others — call transitions on bridge sockets, a user's disabling, the token
 * rate limit.
 */
@DisplayName("Cluster-wide behaviour across three nodes")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterWideTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  /** Long enough for a sandbox call's transitions to be published if they were going to be. */
  private static final Duration QUIET = Duration.ofMillis(700);
  private static final String PASSWORD = "a-long-test-password";
  /** Token requests per client address and window; the set-up's own logins stay well below it. */
  private static final int TOKEN_LIMIT = 12;

  private final List<TestApp> nodes = new ArrayList<>();
  private Vertx clients;
  private String adminToken;

  @BeforeAll
  void start() throws Exception {
    String database = TestDatabase.freshDatabaseUrl();
    int[] ports = {LoopbackCluster.freePort(), LoopbackCluster.freePort(), LoopbackCluster.freePort()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    String secret = null;
    for (int i = 0; i < ports.length; i++) {
      Map<String, String> env = TestApp.defaultEnv();
      secret = secret == null ? env.get("SECRET_KEY") : secret;
      env.put("SECRET_KEY", secret);
      env.put("DATABASE_URL", database);
      env.put("NODE_NAME", "node-" + (char) ('a' + i));
      env.put("CLUSTER_ENABLED", "true");
      env.put("CLUSTER_NAME", "cc-wide-" + ports[0]);
      env.put("CLUSTER_HOST", "127.0.0.1");
      env.put("CLUSTER_PORT", String.valueOf(ports[i]));
      env.put("CLUSTER_MEMBERS", members);
      env.put("TOKEN_RATE_LIMIT", String.valueOf(TOKEN_LIMIT));
      env.put("TOKEN_RATE_WINDOW_SECONDS", "60");
      // Lets the rate-limit test speak as several client addresses through X-Forwarded-For.
      env.put("TRUST_PROXY_HEADERS", "true");
      nodes.add(TestApp.start(env));
    }
    awaitMembers(3);
    clients = Vertx.vertx();
    adminToken = node(0).login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    if (clients != null) {
      clients.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    for (TestApp node : nodes) {
      node.close();
    }
  }

  @Test
  @DisplayName("a call placed through node A reaches its owner's bridge socket on node C and an admin's on node B, "
      + "and no other user's socket")
  void transitionsReachBridgeClientsOnEveryNode() throws Exception {
    String alice = createUser("alice");
    String bob = createUser("bob");
    String aliceToken = node(0).login(alice, PASSWORD);
    String bobToken = node(1).login(bob, PASSWORD);
    try (BridgeSocket aliceOnC = socket(2, aliceToken); BridgeSocket bobOnC = socket(2, bobToken);
        BridgeSocket adminOnB = socket(1, adminToken)) {
      aliceOnC.listen("calls.status.owner." + alice);
      bobOnC.listen("calls.status.owner." + bob);
      adminOnB.listen("calls.status.all");

      String callId = new CallProbe(node(0), aliceToken).place("+15550100", null);
      aliceOnC.awaitStatus(callId, "completed", WAIT);
      adminOnB.awaitStatus(callId, "completed", WAIT);
      Thread.sleep(QUIET.toMillis());

      assertThat(aliceOnC.received(callId).stream().map(f -> f.getJsonObject("body").getString("status")))
          .as("each transition once, in order, on node C").containsExactly("dialing", "ringing", "answered",
              "completed");
      assertThat(adminOnB.received(callId)).hasSize(4);
      assertThat(bobOnC.frames()).noneMatch(f -> f.encode().contains(callId));
    }
  }

  @Test
  @DisplayName("disabling a user through node A closes their bridge socket on node B and B refuses their token at once")
  void disablingReachesEveryNode() throws Exception {
    String carol = createUser("carol");
    String carolToken = node(0).login(carol, PASSWORD);
    try (BridgeSocket carolOnB = socket(1, carolToken)) {
      carolOnB.listen("calls.status.owner." + carol);
      // Every node has verified (and cached) the token before the change.
      for (int i = 0; i < 3; i++) {
        assertThat(node(i).get("/api/v2/calls", carolToken).status()).isEqualTo(200);
      }
      ApiClient.Response disabled = node(0).send(node(0).authorized("/api/v2/users/" + carol, adminToken)
          .header("Content-Type", "application/json")
          .method("PATCH", HttpRequest.BodyPublishers.ofString(new JsonObject().put("disabled", true).encode())));
      assertThat(disabled.status()).isEqualTo(200);

      assertThat(node(1).get("/api/v2/calls", carolToken).status()).as("node B, right after the PATCH")
          .isEqualTo(401);
      assertThat(node(2).get("/api/v2/calls", carolToken).status()).as("node C").isEqualTo(401);
      carolOnB.awaitError("user_disabled", WAIT);
      assertThat(carolOnB.awaitClosed(WAIT)).isEqualTo((short) 4401);
    }
    try (BridgeSocket again = socket(2, carolToken)) {
      again.awaitError("user_disabled", WAIT);
    }
  }

  @Test
  @DisplayName("token requests from one address spread over three nodes hit the limit exactly as on one node")
  void tokenRateLimitCountsAcrossTheCluster() {
    String address = "198.51.100." + (10 + (int) (ProcessHandle.current().pid() % 200));
    int refused = 0;
    int limited = 0;
    String retryAfter = null;
    for (int i = 0; i < TOKEN_LIMIT + 6; i++) {
      ApiClient.Response response = tokenRequest(node(i % 3), address, "admin", "not-the-password");
      if (response.status() == 401) {
        refused++;
      } else if (response.status() == 429) {
        limited++;
        retryAfter = response.header("Retry-After");
      } else {
        throw new AssertionError("unexpected " + response.status() + " " + response.body());
      }
    }
    assertThat(refused).as("attempts that reached the password check").isEqualTo(TOKEN_LIMIT);
    assertThat(limited).isEqualTo(6);
    assertThat(Integer.parseInt(retryAfter)).isBetween(1, 60);
    // Another address has its own window.
    assertThat(tokenRequest(node(1), address + "1", "admin", "not-the-password").status()).isEqualTo(401);
  }

  @Test
  @DisplayName("/health on every node: its name, the three members, and its role for the one server: exactly one "
      + "owner, the others standing by for it and naming it; every node ready")
  void healthShowsRolesPerServer() throws InterruptedException {
    List<JsonObject> roles = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      ApiClient.Response ready = node(i).get("/health/ready", null);
      assertThat(ready.status()).isEqualTo(200);
      JsonObject seen = ready.json().getJsonObject("node");
      assertThat(seen.getString("name")).isEqualTo("node-" + (char) ('a' + i));
      assertThat(seen.getJsonArray("members")).hasSize(3);
      assertThat(seen.getJsonArray("servers")).hasSize(1);
      roles.add(seen.getJsonArray("servers").getJsonObject(0).put("node", seen.getString("name")));
    }
    List<JsonObject> owners = roles.stream().filter(r -> "owner".equals(r.getString("role"))).toList();
    assertThat(owners).as("owners of the server in %s", roles).hasSize(1);
    String ownerNode = owners.get(0).getString("node");
    assertThat(owners.get(0).getString("owner_node")).isEqualTo(ownerNode);
    assertThat(owners.get(0).getLong("epoch")).isPositive();
    assertThat(roles).filteredOn(r -> !ownerNode.equals(r.getString("node")))
        .allSatisfy(r -> {
          assertThat(r.getString("role")).isEqualTo("standby");
          assertThat(r.getString("owner_node")).isEqualTo(ownerNode);
          assertThat(r.containsKey("epoch")).as("a standby owns under no epoch").isFalse();
        });
  }

  private ApiClient.Response tokenRequest(ApiClient api, String clientAddress, String username, String password) {
    String form = "grant_type=password&username=" + URLEncoder.encode(username, StandardCharsets.UTF_8)
        + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8);
    return api.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v2/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", clientAddress)
        .POST(HttpRequest.BodyPublishers.ofString(form)));
  }

  private String createUser(String prefix) {
    String username = Calls.uniqueName(prefix);
    ApiClient.Response created = node(0).post("/api/v2/users", adminToken,
        new JsonObject().put("username", username).put("password", PASSWORD).put("role", "user"));
    assertThat(created.status()).isEqualTo(201);
    return username;
  }

  private ApiClient node(int index) {
    return nodes.get(index).client();
  }

  private BridgeSocket socket(int index, String token) throws Exception {
    return BridgeSocket.open(nodes.get(index).app().httpPort(), token);
  }

  /** Membership settles asynchronously: waits until every node's /health lists all of them. */
  private void awaitMembers(int count) throws InterruptedException {
    for (TestApp node : nodes) {
      JsonObject seen = null;
      for (int i = 0; i < 150; i++) {
        seen = node.client().get("/health", null).json().getJsonObject("node");
        if (seen != null && seen.getJsonArray("members", new JsonArray()).size() == count) {
          break;
        }
        Thread.sleep(200);
      }
      assertThat(seen.getJsonArray("members", new JsonArray())).as("members seen by %s", seen.getString("name"))
          .hasSize(count);
    }
  }
}
