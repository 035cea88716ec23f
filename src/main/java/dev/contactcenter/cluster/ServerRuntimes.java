package dev.contactcenter.cluster;

import static dev.contactcenter.bus.EventBusAddresses.ARI_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_SERVER_RELEASED;
import static dev.contactcenter.bus.EventBusAddresses.ariStatusOf;

import dev.contactcenter.ari.AriSettings;
import dev.contactcenter.ari.AriVerticle;
import dev.contactcenter.ari.HandoffWait;
import dev.contactcenter.metrics.CallMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Every configured Asterisk server on this node, each a {@link ServerRuntime}: the node holds the ARI stream of the
 * servers it owns and stands by for the others. The same path runs standalone and clustered, so a standalone service
 * pointed at a server another process owns stands by instead of taking its event stream.
 *
 * <p>Answers, on this node only, {@link dev.contactcenter.bus.EventBusAddresses#CLUSTER_OWNERSHIP}
 * ({@code {node, servers:[{server, role, epoch, owner_node?}]}}) and the summary
 * {@link dev.contactcenter.bus.EventBusAddresses#ARI_STATUS} that /health and the stop log read, gathered from each
 * server's owner wherever it runs.
 */
public final class ServerRuntimes {

  /** How long the summary waits for one server's owner; below /health's own bound. */
  private static final DeliveryOptions OWNER_STATUS = new DeliveryOptions().setSendTimeout(700);

  /** One server this node may own: its name and how to reach its ARI. */
  public record Server(String name, AriSettings settings) {
  }

  private final Vertx vertx;
  private final String nodeName;
  private final List<ServerRuntime> runtimes;
  private final List<MessageConsumer<JsonObject>> consumers;
  private final NodeLiveness liveness;
  /** Null when ownership is not balanced: standalone, one server, or CLUSTER_BALANCE=false. */
  private volatile OwnershipBalance balance;

  private ServerRuntimes(Vertx vertx, String nodeName, List<Server> servers, PgConnectOptions database,
      OwnershipTiming timing, CallMetrics metrics) {
    this.vertx = vertx;
    this.nodeName = nodeName;
    BooleanSupplier othersFirst = () -> {
      OwnershipBalance b = balance;
      return b != null && b.othersFirst();
    };
    this.liveness = new NodeLiveness(vertx);
    this.runtimes = servers.stream().map(s -> new ServerRuntime(vertx, s.name(), s.settings(), metrics, database,
        nodeName, timing, othersFirst, liveness)).toList();
    this.consumers = List.of(
        vertx.eventBus().localConsumer(CLUSTER_OWNERSHIP, msg -> msg.reply(ownership())),
        vertx.eventBus().localConsumer(ARI_STATUS, this::status),
        vertx.eventBus().<JsonObject>consumer(CLUSTER_SERVER_RELEASED, msg -> released(msg.body())));
  }

  /**
   * Starts every server's ownership; completes once each has made its first attempt (and deployed, if it won).
   *
   * @param balanced spread the servers over the cluster's nodes ({@link OwnershipBalance}); only clustered, with two
   *                 servers or more
   */
  public static Future<ServerRuntimes> start(Vertx vertx, List<Server> servers, PgConnectOptions database,
      String nodeName, OwnershipTiming timing, CallMetrics metrics, boolean balanced) {
    ServerRuntimes all = new ServerRuntimes(vertx, nodeName, servers, database, timing, metrics);
    if (balanced && vertx.isClustered() && servers.size() > 1) {
      all.balance = new OwnershipBalance(vertx, nodeName, all.new BalancedNode(), all.liveness::isMember);
    }
    all.liveness.start();
    return Future.all(all.consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> Future.all(all.runtimes.stream().map(ServerRuntime::start).toList()))
        .map(all);
  }

  /** This node as the balance sees it. */
  private final class BalancedNode implements OwnershipBalance.Node {
    @Override
    public int owned() {
      int owned = 0;
      for (ServerRuntime r : runtimes) {
        owned += r.ownership().role() == ServerOwnership.Role.OWNER ? 1 : 0;
      }
      return owned;
    }

    @Override
    public boolean canOwn() {
      return runtimes.stream().allMatch(r -> r.ownership().known());
    }

    @Override
    public Future<String> handOverOne(long handoffWaitMs) {
      return runtimes.stream().filter(ServerRuntime::canHandOver)
          .min(Comparator.comparingInt(ServerRuntime::activeCalls))
          .map(r -> r.handOver(handoffWaitMs).map(handed -> handed ? r.server() : (String) null))
          .orElse(Future.succeededFuture());
    }
  }

  /**
   * Another node gave a server up ({@code {node, server, leaving}}): if this node stands by for it, it asks now rather
   * than at its next retry, and does not wait for that node to come back for it, nor (leaving) yield to it.
   */
  private void released(JsonObject announcement) {
    String node = announcement.getString("node");
    OwnershipBalance b = balance;
    if (b != null && announcement.getBoolean("leaving", false)) {
      b.left(node);
    }
    if (!nodeName.equals(node)) {
      runtimes.stream().filter(r -> r.server().equals(announcement.getString("server")))
          .forEach(r -> r.ownership().releasedBy(node));
    }
  }

  /** {@code {node, servers:[{server, role: owner|standby|unowned, epoch, owner_node?}]}}. */
  public JsonObject ownership() {
    JsonArray servers = new JsonArray();
    runtimes.forEach(runtime -> servers.add(runtime.describe()));
    return new JsonObject().put("node", nodeName).put("servers", servers);
  }

  /** Names of the servers this node owns now. */
  public List<String> owned() {
    // Asked for each new call: a loop, not a stream.
    List<String> owned = new ArrayList<>(runtimes.size());
    for (ServerRuntime r : runtimes) {
      if (r.keeps()) {
        owned.add(r.server());
      }
    }
    return owned;
  }

  /** Whether this node owns the server and its ARI verticle is connected to that Asterisk now. */
  public boolean ariConnected(String server) {
    for (ServerRuntime r : runtimes) {
      if (r.server().equals(server) && r.verticle() != null && r.verticle().ariConnected()) {
        return true;
      }
    }
    return false;
  }

  /**
   * For a graceful stop, a hand-over of every owned server at once: each says it is handing over, and in a cluster
   * keeps taking calls until the other nodes' directories send new calls elsewhere
   * ({@link ServerRuntime#OTHERS_KNOW_MS}, at most half the bound); then the calls still before their IVR hand-off
   * get the rest of {@code maxMs}, and each server closes to new calls (RESEND, for the next owner to take).
   */
  public Future<HandoffWait.Result> leave(long maxMs) {
    long othersKnowMs = vertx.isClustered() ? Math.min(ServerRuntime.OTHERS_KNOW_MS, maxMs / 2) : 0;
    List<Future<HandoffWait.Result>> waits = runtimes.stream().map(ServerRuntime::verticle).filter(Objects::nonNull)
        .map(verticle -> StreamHandOff.closeToNewCalls(vertx, verticle, othersKnowMs, maxMs - othersKnowMs))
        .toList();
    return Future.join(waits).transform(done -> {
      int waited = 0;
      int pending = 0;
      for (Future<HandoffWait.Result> wait : waits) {
        if (wait.succeeded()) {
          waited += wait.result().waitedFor();
          pending += wait.result().stillPending();
        }
      }
      return Future.succeededFuture(new HandoffWait.Result(waited, pending));
    });
  }

  /** No more hand-overs for balance, nor announcements (a leaving node): first thing on a graceful stop. */
  public void stopBalancing() {
    OwnershipBalance b = balance;
    if (b != null) {
      b.stop();
    }
  }

  /**
   * Stops every server's ARI verticle and gives each ownership up; the other nodes are told of each server it owned,
   * so that the least loaded one asks at once rather than at its next retry. With {@code successorWaitMs} above 0
   * and other nodes in the cluster, each owned server's stream is kept until the next owner's has the app, at most
   * that long ({@link ServerRuntime#stop}), so that a graceful stop leaves no moment without a client either.
   */
  public Future<Void> stop(long successorWaitMs) {
    stopBalancing();
    consumers.forEach(MessageConsumer::unregister);
    long waitMs = liveness.othersPresent() ? successorWaitMs : 0;
    liveness.stop();
    List<String> owned = owned();
    return Future.join(runtimes.stream().map(r -> r.stop(waitMs, () -> {
      if (owned.contains(r.server())) {
        OwnershipBalance.announceReleased(vertx, nodeName, r.server(), true);
      }
    })).toList()).mapEmpty();
  }

  /**
   * {@code {connected, simulated, detail, active_calls, unstored_transitions, servers:[...]}}: connected when every
   * server's owner answers connected; with one server, its owner's answer as it is.
   */
  private void status(Message<JsonObject> msg) {
    List<Future<JsonObject>> answers = runtimes.stream().map(this::statusOf).toList();
    Future.join(answers).onComplete(done -> {
      if (answers.size() == 1) {
        msg.reply(answers.get(0).result().copy().put("servers", new JsonArray().add(answers.get(0).result())));
        return;
      }
      boolean connected = !answers.isEmpty();
      boolean simulated = false;
      int active = 0;
      int unstored = 0;
      StringBuilder detail = new StringBuilder();
      JsonArray servers = new JsonArray();
      for (Future<JsonObject> answer : answers) {
        JsonObject s = answer.result();
        servers.add(s);
        connected &= s.getBoolean("connected", false);
        simulated |= s.getBoolean("simulated", false);
        active += s.getInteger("active_calls", 0);
        unstored += s.getInteger("unstored_transitions", 0);
        detail.append(detail.length() == 0 ? "" : "; ").append(s.getString("server")).append(": ")
            .append(s.getString("detail"));
      }
      msg.reply(new JsonObject().put("connected", connected).put("simulated", simulated)
          .put("detail", detail.toString()).put("active_calls", active).put("unstored_transitions", unstored)
          .put("servers", servers));
    });
  }

  /** The server owner's status (wherever it runs), or what this node knows when no owner answers. Never fails. */
  private Future<JsonObject> statusOf(ServerRuntime runtime) {
    return vertx.eventBus().<JsonObject>request(ariStatusOf(runtime.server()), new JsonObject(), OWNER_STATUS)
        .map(Message::body)
        .otherwise(failure -> {
          JsonObject seen = runtime.describe();
          String detail = "standby".equals(seen.getString("role"))
              ? "server " + runtime.server() + " is owned by node " + seen.getString("owner_node")
                  + ", which does not answer here; this node stands by for it"
              : "no node owns server " + runtime.server() + " yet";
          return new JsonObject().put("server", runtime.server()).put("connected", false).put("simulated", false)
              .put("detail", detail).put("active_calls", 0).put("unstored_transitions", 0);
        });
  }
}
