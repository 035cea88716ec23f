package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
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

@DisplayName("Cluster mode: Vert.x nodes on the Hazelcast-clustered event bus, all on loopback")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterNodeTest {

  private final List<Vertx> started = new ArrayList<>();

  @AfterEach
  void stop() {
    started.forEach(vertx -> vertx.close().await());
  }

  /** Settings for a node bound to 127.0.0.1 only (member socket, interface and event bus). */
  static ClusterSettings node(String name, String clusterName, int port, int... memberPorts) {
    Map<String, String> env = new HashMap<>();
    env.put("NODE_NAME", name);
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", clusterName);
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(port));
    List<String> members = new ArrayList<>();
    for (int member : memberPorts) {
      members.add("127.0.0.1:" + member);
    }
    env.put("CLUSTER_MEMBERS", String.join(",", members));
    env.put("CLUSTER_BUS_PORT", "0");
    return ClusterSettings.from(key -> env.getOrDefault(key, ""));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private Vertx join(ClusterSettings settings) {
    Vertx vertx = ClusterNode.join(settings, options -> Vertx.builder().with(options), new VertxOptions()).await();
    started.add(vertx);
    ClusterStatus.register(vertx, settings).await();
    return vertx;
  }

  private static JsonObject status(Vertx vertx) {
    return vertx.eventBus().<JsonObject>request("cluster.status", new JsonObject()).await().body();
  }

  @Test
  @DisplayName("two nodes of one cluster see each other and a publication on one reaches a consumer on the other")
  void twoNodesExchangeAPublish() throws Exception {
    int portA = freePort();
    int portB = freePort();
    Vertx a = join(node("node-a", "cc-test-" + portA, portA, portA, portB));
    Vertx b = join(node("node-b", "cc-test-" + portA, portB, portA, portB));
    assertThat(a.isClustered()).isTrue();

    CompletableFuture<String> received = new CompletableFuture<>();
    a.eventBus().<String>consumer("calls.status.test", message -> received.complete(message.body()))
        .completion().await();
    // A consumer's registration reaches the other members asynchronously: publish until one arrives.
    long deadline = System.currentTimeMillis() + 20_000;
    while (!received.isDone() && System.currentTimeMillis() < deadline) {
      b.eventBus().publish("calls.status.test", "hello from b");
      Thread.sleep(200);
    }
    assertThat(received.get(1, TimeUnit.SECONDS)).isEqualTo("hello from b");

    JsonObject seenByA = status(a);
    assertThat(seenByA.getString("name")).isEqualTo("node-a");
    assertThat(seenByA.getBoolean("clustered")).isTrue();
    assertThat(seenByA.getString("cluster_name")).isEqualTo("cc-test-" + portA);
    JsonArray members = seenByA.getJsonArray("members");
    assertThat(members.stream().map(m -> ((JsonObject) m).getString("name")).toList())
        .containsExactlyInAnyOrder("node-a", "node-b");
    assertThat(members.stream().map(m -> ((JsonObject) m).getString("address")).toList())
        .allMatch(address -> address.matches("127\\.0\\.0\\.1:[0-9]+"));
    assertThat(status(b).getString("name")).isEqualTo("node-b");
  }

  @Test
  @DisplayName("nodes listing each other but with different cluster names never merge")
  void differentClusterNamesDoNotMerge() throws Exception {
    int portA = freePort();
    int portB = freePort();
    Vertx a = join(node("node-a", "blue-" + portA, portA, portA, portB));
    Vertx b = join(node("node-b", "green-" + portA, portB, portA, portB));

    CompletableFuture<String> received = new CompletableFuture<>();
    a.eventBus().<String>consumer("calls.status.test", message -> received.complete(message.body()))
        .completion().await();
    for (int i = 0; i < 10; i++) {
      b.eventBus().publish("calls.status.test", "crossed");
      Thread.sleep(200);
    }
    assertThat(received).isNotDone();
    assertThat(status(a).getJsonArray("members")).hasSize(1);
    assertThat(status(b).getJsonArray("members")).hasSize(1);
  }
}
