package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.SlowConnectProxy;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two clustered nodes whose members reach each other only through proxies that can cut every connection (a network
 * fault between two hosts): the fault splits the cluster in two, and once the network is back the two halves are one
 * cluster again within seconds, the event bus carrying publications across, rather than after Hazelcast's default
 * split-brain check (first 300 s after start, then every 120 s).
 */
@DisplayName("A network split between nodes heals within seconds of the network's return")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterHealTest {

  private static final long CUT_MS = 12_000;
  private static final long HEALED_WITHIN_MS = 30_000;

  private final List<Vertx> started = new ArrayList<>();
  private final List<SlowConnectProxy> proxies = new ArrayList<>();

  @AfterEach
  void stopAll() {
    started.forEach(vertx -> vertx.close().await());
    proxies.forEach(SlowConnectProxy::close);
  }

  /** A node whose member socket the others reach through {@code publicPort} (its proxy). */
  private Vertx join(String clusterName, String nodeName, int port, int publicPort, int... memberPorts) {
    ClusterSettings settings = LoopbackCluster.settings(clusterName, nodeName, port, memberPorts);
    Config config = ClusterNode.hazelcastConfig(settings);
    config.getNetworkConfig().setPublicAddress("127.0.0.1:" + publicPort);
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1").setPort(0).setClusterPublicHost("127.0.0.1");
    Vertx vertx = Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(config))
        .buildClustered().await();
    started.add(vertx);
    return vertx;
  }

  private static int members(Vertx vertx) {
    return ((VertxInternal) vertx).clusterManager().getNodes().size();
  }

  @Test
  @DisplayName("cut for 12 s, the cluster splits; back, it is whole again within 30 s and a publication crosses")
  void splitHeals() throws Exception {
    int portA = LoopbackCluster.freePort();
    int portB = LoopbackCluster.freePort();
    SlowConnectProxy toA = SlowConnectProxy.start(portA, 1);
    SlowConnectProxy toB = SlowConnectProxy.start(portB, 1);
    proxies.addAll(List.of(toA, toB));
    String cluster = "cc-heal-" + portA;
    Vertx a = join(cluster, "node-a", portA, toA.port(), toA.port(), toB.port());
    Vertx b = join(cluster, "node-b", portB, toB.port(), toA.port(), toB.port());
    Calls.eventually(Duration.ofSeconds(30), () -> assertThat(members(a)).isEqualTo(2));

    long cutAt = System.nanoTime();
    toA.cutFor(CUT_MS);
    toB.cutFor(CUT_MS);
    Calls.eventually(Duration.ofMillis(CUT_MS), () -> {
      assertThat(members(a)).as("split").isEqualTo(1);
      assertThat(members(b)).as("split").isEqualTo(1);
    });
    Thread.sleep(Math.max(0, CUT_MS - (System.nanoTime() - cutAt) / 1_000_000));
    long backAt = System.nanoTime();

    CompletableFuture<String> received = new CompletableFuture<>();
    a.eventBus().<String>consumer("cluster.heal.test", msg -> received.complete(msg.body())).completion().await();
    Calls.eventually(Duration.ofMillis(HEALED_WITHIN_MS + 30_000), () -> {
      assertThat(members(a)).isEqualTo(2);
      assertThat(members(b)).isEqualTo(2);
      b.eventBus().publish("cluster.heal.test", "across");
      assertThat(received).isCompletedWithValue("across");
    });
    long healedMs = (System.nanoTime() - backAt) / 1_000_000;
    System.out.printf("cluster split for %d ms, whole again %d ms after the network was back%n", CUT_MS, healedMs);
    assertThat(healedMs).isLessThan(HEALED_WITHIN_MS);
  }
}
