package dev.contactcenter.cluster;

import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP_LOAD;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_SERVER_RELEASED;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads the Asterisk servers' ownership over the cluster's nodes, so that each node follows about as many servers
 * as the others instead of the first node to start owning them all. Every node announces, each
 * {@value #ANNOUNCE_MS} ms on the clustered bus, how many servers it owns and whether it can own (its ownership
 * attempts reach the database); {@link OwnershipLoads} keeps what was heard and holds the two rules: a standby leaves
 * a free server to a less loaded node for a while, and an owner hands one server over, the one with the fewest calls,
 * when a node owns two or more fewer. A hand-over is the stop path of one server: the calls before their IVR
 * hand-off are let through, the stream closes, the lock is released and the least loaded node, told at once, takes
 * the server and reconciles its calls as after any takeover. One hand-over at a time per node, then a pause of
 * {@value #PAUSE_MS} ms, so that loads are heard again before the next.
 *
 * <p>The lock stays the only judge of ownership: the balance only chooses who asks for it and when; a node that
 * cannot take a server it was left is overtaken after the grace of {@link TakeDeferral}. Off
 * ({@code CLUSTER_BALANCE=false}, or standalone) nothing is announced and ownership stays with whoever took it.
 */
final class OwnershipBalance {

  private static final Logger LOG = LoggerFactory.getLogger(OwnershipBalance.class);

  static final long ANNOUNCE_MS = 1000;
  static final long PAUSE_MS = 5000;
  /** How long a server being handed over lets its calls reach their IVR before its stream closes. */
  static final long HANDOFF_WAIT_MS = 10_000;

  /** This node's side of the balance. */
  interface Node {
    /** Servers owned here now (including one being handed over). */
    int owned();

    /** Whether every ownership here reaches the database: a node that cannot is handed nothing. */
    boolean canOwn();

    /** Hands over the owned server with the fewest calls: its name, or null when nothing was handed over. */
    Future<String> handOverOne(long handoffWaitMs);
  }

  private final Vertx vertx;
  private final String self;
  private final Node node;
  private final OwnershipLoads loads;
  private final List<MessageConsumer<JsonObject>> consumers;
  private final long timer;
  private boolean handingOver;
  private long pausedUntilNs;
  private boolean stopped;

  /** Starts announcing and listening (a server another node gives up is heard by {@link ServerRuntimes}). */
  OwnershipBalance(Vertx vertx, String self, Node node, Predicate<String> member) {
    this.vertx = vertx;
    this.self = self;
    this.node = node;
    this.loads = new OwnershipLoads(self, member);
    this.consumers = List.of(
        vertx.eventBus().<JsonObject>consumer(CLUSTER_OWNERSHIP_LOAD, msg -> heard(msg.body())));
    this.timer = vertx.setPeriodic(ANNOUNCE_MS, id -> tick());
  }

  /** The yield rule, asked by a standby before each lock attempt. */
  synchronized boolean othersFirst() {
    return !stopped && loads.anotherOwnsFewer(node.owned(), System.nanoTime());
  }

  /**
   * Tells the other nodes that {@code node} gave {@code server} up: the least loaded asks for it at once.
   * {@code leaving}: the node is stopping, so no server is left to it any more.
   */
  static void announceReleased(Vertx vertx, String node, String server, boolean leaving) {
    vertx.eventBus().publish(CLUSTER_SERVER_RELEASED, new JsonObject().put("node", node).put("server", server)
        .put("leaving", leaving));
  }

  /** Node {@code node} is stopping: its last announced load no longer counts for the yield rule. */
  synchronized void left(String node) {
    loads.forget(node);
  }

  /** Stops announcing and handing over (first thing on a graceful stop: this node is leaving). */
  synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    vertx.cancelTimer(timer);
    consumers.forEach(MessageConsumer::unregister);
  }

  private synchronized void heard(JsonObject load) {
    loads.heard(load.getString("node"), load.getInteger("owned", 0), load.getBoolean("can_own", false),
        System.nanoTime());
  }

  private synchronized void tick() {
    if (stopped) {
      return;
    }
    int owned = node.owned();
    vertx.eventBus().publish(CLUSTER_OWNERSHIP_LOAD, new JsonObject().put("node", self).put("owned", owned)
        .put("can_own", node.canOwn()));
    long now = System.nanoTime();
    if (handingOver || now < pausedUntilNs || !loads.shouldHandOver(owned, now)) {
      return;
    }
    handingOver = true;
    Map<String, Integer> others = loads.live(now);
    node.handOverOne(HANDOFF_WAIT_MS).onComplete(done -> {
      synchronized (this) {
        handingOver = false;
        pausedUntilNs = System.nanoTime() + PAUSE_MS * 1_000_000;
        if (done.succeeded() && done.result() != null && !stopped) {
          LOG.info("Node {} owned {} servers, the other nodes {}: handed server {} over", self, owned, others,
              done.result());
          announceReleased(vertx, self, done.result(), false);
        }
      }
    });
  }
}
