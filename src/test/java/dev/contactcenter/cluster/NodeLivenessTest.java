package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.Calls;
import dev.contactcenter.support.LoopbackCluster;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link NodeLiveness} on two clustered Vert.x nodes on loopback: a node counts as dead only once it is no longer a
 * member and its event-bus port refuses connections; a node cut off from the cluster whose port still answers, a
 * node never seen, and any node seen from a standalone process may be alive.
 */
@DisplayName("Whether a former owner may be alive: the cluster's members, then its last event-bus port")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeLivenessTest {

  private static final Duration WITHIN = Duration.ofSeconds(20);

  private final List<Vertx> started = new ArrayList<>();
  private final List<NodeLiveness> livenesses = new ArrayList<>();

  @AfterEach
  void stop() {
    livenesses.forEach(NodeLiveness::stop);
    started.forEach(vertx -> vertx.close().await());
  }

  private NodeLiveness liveness(Vertx vertx) {
    NodeLiveness liveness = new NodeLiveness(vertx);
    liveness.start();
    livenesses.add(liveness);
    return liveness;
  }

  @Test
  @DisplayName("standalone, nothing is known of other nodes: every one may be alive")
  void standaloneKnowsNothing() {
    Vertx vertx = Vertx.vertx();
    started.add(vertx);
    assertThat(liveness(vertx).mayBeAlive("node-b").await()).isTrue();
  }

  @Test
  @DisplayName("a member may be alive; gone from the cluster with its port refusing, it is dead; its port answering"
      + " again (cut off, not dead), or a node never seen, may be alive")
  void deadOnlyWhenGoneAndRefusing() throws Exception {
    int portA = LoopbackCluster.freePort();
    int portB = LoopbackCluster.freePort();
    Vertx a = LoopbackCluster.join("cc-liveness-" + portA, "node-a", portA, portA, portB);
    started.add(a);
    Vertx b = LoopbackCluster.join("cc-liveness-" + portA, "node-b", portB, portA, portB);
    NodeLiveness seenFromA = liveness(a);
    Calls.eventually(WITHIN, () -> assertThat(((VertxInternal) a).clusterManager().getNodes()).hasSize(2));
    assertThat(seenFromA.mayBeAlive("node-b").await()).as("a member").isTrue();
    int busPortOfB = ((VertxInternal) b).clusterManager().getNodeInfo().port();

    b.close().await();
    Calls.eventually(WITHIN, () -> assertThat(seenFromA.mayBeAlive("node-b").await()).as("gone, port refusing")
        .isFalse());
    assertThat(seenFromA.mayBeAlive("node-z").await()).as("never seen").isTrue();
    try (ServerSocket stillAnswering = new ServerSocket(busPortOfB, 50, InetAddress.getLoopbackAddress())) {
      assertThat(seenFromA.mayBeAlive("node-b").await()).as("gone from the cluster, port answering").isTrue();
    }
  }
}
