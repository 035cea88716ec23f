package dev.contactcenter.cluster;

import dev.contactcenter.bus.EventBusAddresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Answers {@link EventBusAddresses#CLUSTER_STATUS} on this node only: its name, whether it is clustered, and the
 * members it sees ({@code /health} shows it). Local, because each node must describe itself.
 */
public final class ClusterStatus {

  private static final long MEMBERS_TIMEOUT_MS = 1000;

  private final Vertx vertx;
  private final ClusterSettings settings;

  private ClusterStatus(Vertx vertx, ClusterSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  /** Registers the local consumer; the future completes once it is registered. */
  public static Future<MessageConsumer<JsonObject>> register(Vertx vertx, ClusterSettings settings) {
    ClusterStatus status = new ClusterStatus(vertx, settings);
    MessageConsumer<JsonObject> consumer = vertx.eventBus().<JsonObject>localConsumer(EventBusAddresses.CLUSTER_STATUS,
        message -> status.describe().onComplete(done -> message.reply(done.succeeded() ? done.result()
            : status.self().put("members_error", done.cause().getMessage()))));
    return consumer.completion().map(consumer);
  }

  /** {@code {name, clustered, cluster_name?, members?: [{name, address}], members_error?}}. */
  Future<JsonObject> describe() {
    JsonObject self = self();
    ClusterManager manager = vertx.isClustered() ? ((VertxInternal) vertx).clusterManager() : null;
    if (manager == null) {
      return Future.succeededFuture(self);
    }
    List<Future<NodeInfo>> infos = manager.getNodes().stream().map(id -> {
      Promise<NodeInfo> info = Promise.promise();
      manager.getNodeInfo(id, info);
      return info.future();
    }).toList();
    // /health must answer quickly even while the cluster manager is slow: the member list is then left out.
    return Future.join(infos).timeout(MEMBERS_TIMEOUT_MS, TimeUnit.MILLISECONDS).map(done -> {
      JsonArray members = new JsonArray();
      for (Future<NodeInfo> info : infos) {
        if (info.succeeded() && info.result() != null) {
          NodeInfo node = info.result();
          JsonObject metadata = node.metadata() == null ? new JsonObject() : node.metadata();
          members.add(new JsonObject().put("name", metadata.getString(ClusterNode.NODE_NAME_KEY, "?"))
              .put("address", node.host() + ":" + node.port()));
        }
      }
      return self.put("members", members);
    });
  }

  private JsonObject self() {
    JsonObject self = new JsonObject().put("name", settings.nodeName()).put("clustered", settings.enabled());
    if (settings.enabled()) {
      self.put("cluster_name", settings.clusterName());
    }
    return self;
  }
}
