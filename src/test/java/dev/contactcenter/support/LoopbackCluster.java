package dev.contactcenter.support;

import dev.contactcenter.cluster.ClusterNode;
import dev.contactcenter.cluster.ClusterSettings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/** Clustered Vert.x nodes for tests, every address on 127.0.0.1 so that Hazelcast never reaches the network. */
public final class LoopbackCluster {

  private static final int LOWEST = 10_000;
  private static final Random RANDOM = new Random();
  /** Ports handed out in this JVM: none twice, even once released. */
  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

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
   * A free loopback port for a member socket, below the kernel's ephemeral range. The others keep reconnecting to a
   * dead member's port; were it an ephemeral port, the kernel could pick that very port as the source of one of those
   * connections, and on loopback such a socket connects to itself: the dead member then seems to answer, as this
   * node, and Hazelcast is slow to drop it. Production's 5701 is below the range too.
   */
  public static int freePort() throws IOException {
    int below = ephemeralLow();
    for (int attempt = 0; attempt < 200 && below > LOWEST + 1_000; attempt++) {
      int port = LOWEST + RANDOM.nextInt(below - LOWEST);
      if (GIVEN.add(port)) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
          return socket.getLocalPort();
        } catch (IOException taken) {
          // In use: try another.
        }
      }
    }
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The first port of the kernel's ephemeral range (Linux), 32768 when it cannot be read. */
  private static int ephemeralLow() {
    try {
      return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim()
          .split("\\s+")[0]);
    } catch (IOException | RuntimeException unreadable) {
      return 32_768;
    }
  }
}
