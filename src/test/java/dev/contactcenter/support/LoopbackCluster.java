package dev.contactcenter.support;

import dev.contactcenter.cluster.ClusterNode;
import dev.contactcenter.cluster.ClusterSettings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/** Clustered Vert.x nodes for tests, every address on 127.0.0.1 so that Hazelcast never reaches the network. */
public final class LoopbackCluster {

  private LoopbackCluster() {
  }

  /** Joins (or forms) the cluster {@code clusterName} as {@code nodeName} on {@code port}, with these members. */
  public static Vertx join(String clusterName, String nodeName, int port, int... memberPorts) {
    return join(settings(clusterName, nodeName, port, memberPorts));
  }

  /** Joins with settings made by {@link #settings}. */
  public static Vertx join(ClusterSettings settings) {
    return ClusterNode.join(settings, options -> Vertx.builder().with(options), new VertxOptions()).await();
  }

  /** A node's settings: member socket, interface and event bus bound to 127.0.0.1 only, the bus on a free port. */
  public static ClusterSettings settings(String clusterName, String nodeName, int port, int... memberPorts) {
    Map<String, String> env = new HashMap<>();
    env.put("NODE_NAME", nodeName);
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", clusterName);
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(port));
    List<String> members = IntStream.of(memberPorts).mapToObj(member -> "127.0.0.1:" + member).toList();
    env.put("CLUSTER_MEMBERS", String.join(",", members));
    env.put("CLUSTER_BUS_PORT", "0");
    return ClusterSettings.from(key -> env.getOrDefault(key, ""));
  }

  /**
   * A free port for a member socket, outside the kernel's ephemeral range ({@link FreePorts}). The others keep
   * reconnecting to a dead member's port; were it an ephemeral port, one of those connections could get it as its
   * source and, on loopback, connect to itself: the dead member would then seem to answer. Production's 5701 is
   * outside the range too.
   */
  public static int freePort() throws IOException {
    return FreePorts.next();
  }
}
