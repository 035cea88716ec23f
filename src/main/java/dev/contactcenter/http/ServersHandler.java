package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_STATS;

import dev.contactcenter.cluster.AsteriskServer;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.dispatch.Dispatch;
import dev.contactcenter.dispatch.DispatchLimits;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/** {@code GET /api/v2/servers} (admins): each configured Asterisk server, its owner, limits, calls and queue. */
final class ServersHandler {

  private final EventBus bus;
  private final AppConfig config;

  ServersHandler(EventBus bus, AppConfig config) {
    this.bus = bus;
    this.config = config;
  }

  void list(RoutingContext rc) {
    bus.<JsonObject>request(DISPATCH_STATS, new JsonObject().put("owners", true)).map(Message::body)
        .onSuccess(stats -> rc.json(new JsonObject().put("items", items(stats))))
        .onFailure(rc::fail);
  }

  private JsonArray items(JsonObject stats) {
    List<String> names = new ArrayList<>(config.asteriskServers().stream().map(AsteriskServer::name).toList());
    if (names.isEmpty()) {
      // The sandbox: the one server every call is placed on.
      names.add(AsteriskServer.DEFAULT_NAME);
    }
    JsonArray items = new JsonArray();
    for (String name : names) {
      JsonObject counts = find(stats.getJsonArray("servers"), name);
      JsonObject owner = find(stats.getJsonArray("owners"), name);
      DispatchLimits limits = Dispatch.limitsOf(config, name);
      items.add(new JsonObject().put("name", name)
          .put("owner_node", ownerNode(owner))
          .put("limits", new JsonObject().put("max_calls_per_second", limits.maxCallsPerSecond())
              .put("max_concurrent_calls", limits.maxConcurrentCalls())
              .put("max_queue_seconds", limits.maxQueueSeconds()))
          .put("active_calls", counts == null ? 0 : counts.getLong("active"))
          .put("queued_calls", counts == null ? 0 : counts.getLong("queued"))
          .put("oldest_queued_seconds", counts == null ? 0.0 : counts.getDouble("oldest_wait_seconds")));
    }
    return items;
  }

  /** The ownership row's holder while it holds the lock; a single node without cluster mode owns every server. */
  private String ownerNode(JsonObject owner) {
    if (owner != null && owner.getBoolean("owned", false)) {
      return owner.getString("owner_node");
    }
    return config.cluster().enabled() ? null : config.cluster().nodeName();
  }

  private static JsonObject find(JsonArray rows, String server) {
    if (rows == null) {
      return null;
    }
    for (Object row : rows) {
      if (row instanceof JsonObject json && server.equals(json.getString("server"))) {
        return json;
      }
    }
    return null;
  }
}
