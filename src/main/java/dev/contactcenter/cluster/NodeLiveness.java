package dev.contactcenter.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Whether another node may still be alive, by its {@code NODE_NAME}, as the cluster manager's member list says: a
 * node killed or cut off is dropped from it within seconds (its sockets close, or its heartbeats stop). Only a
 * clustered node can tell; standalone, or when the list cannot be read in time, every node may be alive.
 */
final class NodeLiveness {

  private static final long READ_TIMEOUT_MS = 1_000;

  private final Vertx vertx;
  /** A member's name by its cluster node id: fixed for the member's life, so read once. */
  private final Map<String, String> nameById = new ConcurrentHashMap<>();

  NodeLiveness(Vertx vertx) {
    this.vertx = vertx;
  }

  /** False only when this node is clustered and no current member is named {@code nodeName}. */
  Future<Boolean> mayBeAlive(String nodeName) {
    if (!vertx.isClustered()) {
      return Future.succeededFuture(true);
    }
    ClusterManager manager = ((VertxInternal) vertx).clusterManager();
    List<String> ids = manager.getNodes();
    nameById.keySet().retainAll(ids);
    List<Future<String>> names = ids.stream().map(id -> nameOf(manager, id)).toList();
    return Future.join(names).timeout(READ_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .map(read -> names.stream().anyMatch(name -> nodeName.equals(name.result())))
        // A member whose name cannot be read may be that node.
        .otherwise(true);
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
      return name;
    });
  }
}
