package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.LoopbackCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
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

  private Vertx join(ClusterSettings settings) {
    Vertx vertx = LoopbackCluster.join(settings);
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
    int portA = LoopbackCluster.freePort();
    int portB = LoopbackCluster.freePort();
    Vertx a = join(LoopbackCluster.settings("cc-test-" + portA, "node-a", portA, portA, portB));
    Vertx b = join(LoopbackCluster.settings("cc-test-" + portA, "node-b", portB, portA, portB));
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
    int portA = LoopbackCluster.freePort();
    int portB = LoopbackCluster.freePort();
    Vertx a = join(LoopbackCluster.settings("blue-" + portA, "node-a", portA, portA, portB));
    Vertx b = join(LoopbackCluster.settings("green-" + portA, "node-b", portB, portA, portB));

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
