package dev.contactcenter.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Whether another node is still a cluster member ({@link OwnershipLoads}: a node gone is yielded nothing) and whether
 * it may still be alive ({@link FormerOwnerFirst}), by its {@code NODE_NAME}. A node counts as dead only on positive
 * evidence: it is no longer a cluster member <em>and</em> its event-bus port, as last seen while it was one, refuses
 * connections (its process is gone from a host that is up). A network fault also drops a live node from the member
 * list, but its port then times out rather than refuses, so it may be alive. A standalone node knows no members: every
 * node may be alive. One per node; while clustered it notes every member's name and address every
 * {@link #REFRESH_MS}, so that a node killed since is still known.
 */
public final class NodeLiveness {

  static final long REFRESH_MS = 2_000;
  private static final long READ_TIMEOUT_MS = 1_000;
  private static final int PROBE_TIMEOUT_MS = 500;

  private final Vertx vertx;
  /** A member's name by its cluster node id: fixed for the member's life, so read once. */
  private final Map<String, String> nameById = new ConcurrentHashMap<>();
  /** Each node's event-bus address, by name, as last seen while it was a member. */
  private final Map<String, SocketAddress> lastAddressByName = new ConcurrentHashMap<>();
  /** Null until started clustered: standalone, every node may be alive. */
  private volatile NetClient probes;
  private long refreshTimer = -1;

  NodeLiveness(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Whether other nodes are cluster members now (false standalone). */
  boolean othersPresent() {
    return probes != null && ((VertxInternal) vertx).clusterManager().getNodes().size() > 1;
  }

  /** Starts noting the members (clustered only). */
  void start() {
    if (vertx.isClustered()) {
      probes = vertx.createNetClient(new NetClientOptions().setConnectTimeout(PROBE_TIMEOUT_MS));
      memberNames();
      refreshTimer = vertx.setPeriodic(REFRESH_MS, id -> memberNames());
    }
  }

  void stop() {
    vertx.cancelTimer(refreshTimer);
    if (probes != null) {
      probes.close();
    }
  }

  /** False only when {@code nodeName} is known to be dead (see the class comment). */
  Future<Boolean> mayBeAlive(String nodeName) {
    if (probes == null) {
      return Future.succeededFuture(true);
    }
    return memberNames().compose(names -> {
      SocketAddress last = lastAddressByName.get(nodeName);
      return names.contains(nodeName) || last == null ? Future.succeededFuture(true)
          : refuses(last).map(refused -> !refused);
    }).otherwise(true);
  }

  /**
   * Whether a node named {@code nodeName} is a cluster member now, as this node's member list says (read at each
   * call, no waiting): true also when that cannot be told (standalone, or a member whose name is not read yet).
   */
  boolean isMember(String nodeName) {
    if (probes == null) {
      return true;
    }
    for (String id : ((VertxInternal) vertx).clusterManager().getNodes()) {
      String name = nameById.get(id);
      if (name == null || name.equals(nodeName)) {
        return true;
      }
    }
    return false;
  }

  /** The current members' names; fails when one cannot be read in time (it may be the node asked about). */
  private Future<Set<String>> memberNames() {
    ClusterManager manager = ((VertxInternal) vertx).clusterManager();
    List<String> ids = manager.getNodes();
    nameById.keySet().retainAll(ids);
    List<Future<String>> names = ids.stream().map(id -> nameOf(manager, id)).toList();
    return Future.all(names).timeout(READ_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(read -> names.stream().map(Future::result).collect(Collectors.toSet()));
  }

  private Future<String> nameOf(ClusterManager manager, String id) {
    String known = nameById.get(id);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    Promise<NodeInfo> info = Promise.promise();
    manager.getNodeInfo(id, info);
    return info.future().map(node -> {
      JsonObject metadata = node == null ? null : node.metadata();
      String name = metadata == null ? null : metadata.getString(ClusterNode.NODE_NAME_KEY);
      if (name == null) {
        throw new IllegalStateException("member " + id + " has no node name");
      }
      nameById.put(id, name);
      lastAddressByName.put(name, SocketAddress.inetSocketAddress(node.port(), node.host()));
      return name;
    });
  }

  /** Whether a connection to {@code address} is refused at once: nothing listens there any more. */
  private Future<Boolean> refuses(SocketAddress address) {
    return probes.connect(address).map(socket -> {
      socket.close();
      return false;
    }).otherwise(failure -> String.valueOf(failure.getMessage()).contains("Connection refused"));
  }
}
