package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.ARI_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.DB_PING;

import dev.contactcenter.lifecycle.ShutdownGate;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /health} (can the service take calls: database and Asterisk both up), {@code /health/ready} (can it
 * serve the API: database up, or at least one Asterisk server owned) and {@code /health/live} (the process
 * answers). Both show the node, the members it sees and its role per Asterisk server when those are known.
 */
final class HealthHandler {

  private static final DeliveryOptions QUICK = new DeliveryOptions().setSendTimeout(1500);
  /**
   * For what this node itself must answer: on the clustered bus a plain request may be served by another node's
   * consumer, and a node cut from the database would then report the database its neighbour sees.
   */
  private static final DeliveryOptions THIS_NODE = new DeliveryOptions(QUICK).setLocalOnly(true);

  private final EventBus bus;
  private final boolean simulated;
  private final String version;
  private final ShutdownGate shutdown;
  private final long startedAt = System.currentTimeMillis();

  HealthHandler(EventBus bus, boolean simulated, String version, ShutdownGate shutdown) {
    this.bus = bus;
    this.simulated = simulated;
    this.version = version;
    this.shutdown = shutdown;
  }

  void live(RoutingContext rc) {
    rc.json(new JsonObject().put("status", "ok"));
  }

  void health(RoutingContext rc) {
    check(rc, true);
  }

  /**
   * Same body as {@link #health} (the contract's Health schema needs both checks); Asterisk does not decide. A node
   * that sees no database and owns no Asterisk server can do nothing useful and is not ready; one that still owns a
   * server (its lock's connection alive) keeps following that server's calls and stays in. An ownership the database
   * cannot confirm (shown {@code ownership_unconfirmed}) does not count: that node sees no database at all.
   */
  void ready(RoutingContext rc) {
    check(rc, false);
  }

  private void check(RoutingContext rc, boolean asteriskCounts) {
    Future<JsonObject> database = database();
    Future<JsonObject> asterisk = asterisk();
    Future<JsonObject> node = node();
    Future<JsonArray> servers = servers();
    Future.all(database, asterisk, node, servers).onComplete(done -> respond(rc, database.result(), asterisk.result(),
        withServers(node.result(), servers.result()), owns(servers.result()), asteriskCounts));
  }

  private void respond(RoutingContext rc, JsonObject database, JsonObject asterisk, JsonObject node,
      boolean ownsAServer, boolean asteriskCounts) {
    boolean shuttingDown = shutdown.draining();
    boolean databaseUp = "up".equals(database.getString("status"));
    boolean up = !shuttingDown && (asteriskCounts
        ? databaseUp && "up".equals(asterisk.getString("status"))
        : databaseUp || ownsAServer);
    JsonObject checks = new JsonObject().put("database", database).put("asterisk", asterisk);
    JsonObject body = new JsonObject()
        .put("status", up ? "ok" : "degraded")
        .put("simulated", simulated)
        .put("version", version)
        .put("uptime_seconds", (System.currentTimeMillis() - startedAt) / 1000)
        .put("checks", checks);
    if (shuttingDown) {
      // Readiness down while the process drains, so a load balancer stops sending it work.
      body.put("shutting_down", true);
    }
    if (!up) {
      rc.response().putHeader("Retry-After", Problems.UNAVAILABLE_RETRY_AFTER_SECONDS);
    }
    if (node != null) {
      body.put("node", node);
    }
    rc.response().setStatusCode(up ? 200 : 503).putHeader("Cache-Control", "no-store")
        .putHeader("Content-Type", "application/json").end(body.encode());
  }

  /** Never fails: a down component is a result, not an error. */
  private Future<JsonObject> database() {
    return bus.<JsonObject>request(DB_PING, new JsonObject(), THIS_NODE)
        .map(reply -> new JsonObject().put("status", "up").put("latency_ms", reply.body().getDouble("latency_ms")))
        .otherwise(failure -> new JsonObject().put("status", "down").put("detail", failure.getMessage()));
  }

  /** This node's name and cluster view; absent (null) if nothing answers, which never fails the check. */
  private Future<JsonObject> node() {
    return bus.<JsonObject>request(CLUSTER_STATUS, new JsonObject(), THIS_NODE).map(reply -> reply.body())
        .otherwise((JsonObject) null);
  }

  /**
   * This node's role per Asterisk server ({@code [{server, role, epoch?, owner_node?}]}); null when no ownership
   * component answers (nothing to show, never a failure).
   */
  private Future<JsonArray> servers() {
    return bus.<JsonObject>request(CLUSTER_OWNERSHIP, new JsonObject(), THIS_NODE)
        .map(reply -> reply.body().getJsonArray("servers"))
        .otherwise((JsonArray) null);
  }

  private static JsonObject withServers(JsonObject node, JsonArray servers) {
    if (node == null || servers == null) {
      return node;
    }
    JsonArray roles = new JsonArray();
    for (Object item : servers) {
      if (item instanceof JsonObject server && server.getString("server") != null && server.getString("role") != null) {
        JsonObject role = new JsonObject().put("server", server.getString("server")).put("role", server.getString("role"));
        // The epoch is the one this node owns under; a standby has none of its own.
        if ("owner".equals(role.getString("role")) && server.getValue("epoch") instanceof Number epoch) {
          role.put("epoch", epoch.longValue());
        }
        if (server.getValue("owner_node") instanceof String owner) {
          role.put("owner_node", owner);
        }
        if (Boolean.TRUE.equals(server.getValue("ownership_unconfirmed"))) {
          role.put("ownership_unconfirmed", true);
        }
        roles.add(role);
      }
    }
    return node.copy().put("servers", roles);
  }

  private static boolean owns(JsonArray servers) {
    return servers != null && servers.stream()
        .anyMatch(item -> item instanceof JsonObject server && "owner".equals(server.getString("role"))
            && !Boolean.TRUE.equals(server.getValue("ownership_unconfirmed")));
  }

  private Future<JsonObject> asterisk() {
    return bus.<JsonObject>request(ARI_STATUS, new JsonObject(), QUICK)
        .map(reply -> {
          JsonObject status = reply.body();
          boolean connected = status.getBoolean("connected", false);
          return new JsonObject().put("status", connected ? "up" : "down").put("detail", status.getString("detail"));
        })
        .otherwise(failure -> new JsonObject().put("status", "down").put("detail", "ARI component not answering"));
  }
}
