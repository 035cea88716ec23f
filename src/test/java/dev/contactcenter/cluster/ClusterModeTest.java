package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("The service in cluster mode and without it")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterModeTest {

  private static final Pattern API_LINE = Pattern.compile("API: +http://127\\.0\\.0\\.1:([0-9]+)/api/v2");

  @Test
  @DisplayName("without CLUSTER_ENABLED the service runs with no Hazelcast jar at all, and /health names the node")
  void singleProcessNeedsNoHazelcast() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("NODE_NAME", "solo-1");
    String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !entry.contains("hazelcast")).collect(Collectors.joining(File.pathSeparator));
    try (ChildJvm service = ChildJvm.start(List.of(), List.of("-cp", classPath, "dev.contactcenter.Main", "serve"),
        env)) {
      assertServesAsSolo1(service);
      assertThat(service.lines()).as("log lines carry NODE_NAME when it is set")
          .anyMatch(line -> line.matches(".* INFO  solo-1 \\[.*"));
    }
  }

  /** Waits for the banner, then checks /health's node block. */
  static void assertServesAsSolo1(ChildJvm service) throws InterruptedException {
    Matcher api = API_LINE.matcher(service.awaitLine(line -> API_LINE.matcher(line).find(), Duration.ofSeconds(120)));
    assertThat(api.find()).isTrue();
    ApiClient.Response health = new ApiClient("http://127.0.0.1:" + api.group(1)).get("/health", null);
    assertThat(health.status()).isEqualTo(200);
    // A single process owns its one server ("default", here the sandbox) through the same ownership path.
    assertThat(health.json().getJsonObject("node")).isEqualTo(new JsonObject().put("name", "solo-1")
        .put("clustered", false).put("servers", new io.vertx.core.json.JsonArray().add(new JsonObject()
            .put("server", "default").put("role", "owner").put("epoch", 1).put("owner_node", "solo-1"))));
  }

  @Test
  @DisplayName("two clustered services on one database: each /health names itself and sees both members")
  void twoClusteredServices() throws Exception {
    String database = TestDatabase.freshDatabaseUrl();
    int portA = LoopbackCluster.freePort();
    int portB = LoopbackCluster.freePort();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    Map<String, String> envA = clusterEnv(database, "api-a", portA, members);
    Map<String, String> envB = clusterEnv(database, "api-b", portB, members);
    envA.put("METRICS_ENABLED", "true");
    try (TestApp a = TestApp.start(envA); TestApp b = TestApp.start(envB)) {
      assertThat(a.app().vertx().isClustered()).isTrue();
      JsonObject nodeA = awaitMembers(a, 2);
      assertThat(nodeA.getString("name")).isEqualTo("api-a");
      assertThat(nodeA.getBoolean("clustered")).isTrue();
      assertThat(nodeA.getString("cluster_name")).isEqualTo("cc-" + portA);
      assertThat(nodeA.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("name")))
          .containsExactlyInAnyOrder("api-a", "api-b");
      assertThat(awaitMembers(b, 2).getString("name")).isEqualTo("api-b");

      String metrics = scrape(a.app().httpPort());
      assertThat(metrics).contains("contact_center_node_info{cluster=\"cc-" + portA + "\",node=\"api-a\"} 1");
    }
  }

  @Test
  @DisplayName("two clustered nodes on one Asterisk: calls through either run on the owner's stream; takeover on stop")
  void callsThroughEitherNode() throws Exception {
    io.vertx.core.Vertx ariVertx = io.vertx.core.Vertx.vertx();
    dev.contactcenter.sandbox.SandboxAriServer sandbox = new dev.contactcenter.sandbox.SandboxAriServer("asterisk",
        "cluster-secret", dev.contactcenter.sandbox.SandboxTiming.defaults());
    ariVertx.deployVerticle(sandbox).await();
    String database = TestDatabase.freshDatabaseUrl();
    int portA = LoopbackCluster.freePort();
    int portB = LoopbackCluster.freePort();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    Map<String, String> envA = withSandboxAri(clusterEnv(database, "api-a", portA, members), sandbox.actualPort());
    Map<String, String> envB = withSandboxAri(clusterEnv(database, "api-b", portB, members), sandbox.actualPort());
    TestApp a = TestApp.start(envA);
    try (TestApp b = TestApp.start(envB)) {
      awaitMembers(b, 2);
      assertThat(ownership(a)).isEqualTo(new JsonObject().put("server", "default").put("role", "owner")
          .put("epoch", 1L).put("owner_node", "api-a"));
      assertThat(ownership(b)).isEqualTo(new JsonObject().put("server", "default").put("role", "standby")
          .put("epoch", 0L).put("owner_node", "api-a"));
      ApiClient viaB = b.client();
      dev.contactcenter.support.Calls.eventually(Duration.ofSeconds(15),
          () -> assertThat(viaB.get("/health", null).status()).as("B's health: the owner on A answers").isEqualTo(200));
      String token = viaB.login("admin", TestApp.ADMIN_PASSWORD);
      String held = dev.contactcenter.support.Calls.place(viaB, token, new JsonObject()
          .put("phone_number", "+15550000800").put("extension", "hold"));
      JsonObject answered = dev.contactcenter.support.Calls.awaitStatus(viaB, token, held, "answered",
          Duration.ofSeconds(15));
      assertThat(answered.getString("server")).isEqualTo("default");
      String other = dev.contactcenter.support.Calls.place(viaB, token, new JsonObject()
          .put("phone_number", "+15550000810").put("extension", "hold"));
      dev.contactcenter.support.Calls.awaitStatus(viaB, token, other, "answered", Duration.ofSeconds(15));
      assertThat(viaB.post("/api/v2/calls/" + other + "/hangup", token, null).status()).as("hang-up from B")
          .isEqualTo(202);
      assertThat(dev.contactcenter.support.Calls.awaitFinal(viaB, token, other, Duration.ofSeconds(15))
          .getString("status")).isEqualTo("completed");

      long stopped = System.nanoTime();
      a.close();
      a = null;
      dev.contactcenter.support.Calls.eventually(Duration.ofSeconds(15), () -> assertThat(ownership(b))
          .isEqualTo(new JsonObject().put("server", "default").put("role", "owner").put("epoch", 2L)
              .put("owner_node", "api-b")));
      System.out.printf("Node B owned the server %d ms after node A's stop began%n",
          (System.nanoTime() - stopped) / 1_000_000);
      assertThat(viaB.post("/api/v2/calls/" + held + "/hangup", token, null).status()).isEqualTo(202);
      assertThat(dev.contactcenter.support.Calls.awaitFinal(viaB, token, held, Duration.ofSeconds(15))
          .getString("status")).isEqualTo("completed");
    } finally {
      if (a != null) {
        a.close();
      }
      ariVertx.close().await();
    }
  }

  private static Map<String, String> withSandboxAri(Map<String, String> env, int port) {
    TestApp.withAri(env, "http://127.0.0.1:" + port);
    env.put("ARI_USERNAME", "asterisk");
    env.put("ARI_PASSWORD", "cluster-secret");
    env.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@callee/n");
    env.put("SHUTDOWN_GRACE_SECONDS", "2");
    return env;
  }

  private static JsonObject ownership(TestApp app) {
    return app.app().vertx().eventBus().<JsonObject>request(dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP,
        new JsonObject()).await().body().getJsonArray("servers").getJsonObject(0);
  }

  /**
   * GET /metrics over HTTP/1.1, as Prometheus scrapes. (Once, under full-suite load, the JDK client's default h2c
   * upgrade got the headers of this large response and then no body until the server's idle timeout.)
   */
  private static String scrape(int port) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/metrics")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  private static Map<String, String> clusterEnv(String database, String name, int port, String members) {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("DATABASE_URL", database);
    env.put("NODE_NAME", name);
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", "cc-" + members.substring(members.indexOf(':') + 1, members.indexOf(',')));
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(port));
    env.put("CLUSTER_MEMBERS", members);
    return env;
  }

  /** The node block of /health once it lists {@code count} members (membership settles asynchronously). */
  private static JsonObject awaitMembers(TestApp app, int count) throws InterruptedException {
    JsonObject node = null;
    for (int i = 0; i < 100; i++) {
      ApiClient.Response health = app.client().get("/health", null);
      node = health.json().getJsonObject("node");
      if (node != null && node.getJsonArray("members", new io.vertx.core.json.JsonArray()).size() == count) {
        return node;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("members never reached " + count + ": " + node);
  }
}
