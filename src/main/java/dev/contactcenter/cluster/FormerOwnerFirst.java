package dev.contactcenter.cluster;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the database was out of reach, a free server is left for a while to the node that owned it before: that
 * node's ARI verticle kept following the server's calls through the outage and holds what they did meanwhile, which
 * only it can store (another owner's reconciliation would find those calls ended and their outcome unknown). The
 * former owner asks again within about one retry of the database's return, without the balance's yield rule. A
 * standby that could not reach the database either (a restart, a failover, a network fault: not an owner's crash,
 * where the standby never lost the database) leaves each server whose row still names another node to that node for
 * {@link #GRACE_MS} from the database's return, at most, and not at all once that node said on the clustered bus that
 * it gave the server up (a node stopped while the database was away) or is dead by {@link NodeLiveness} (killed
 * meanwhile: gone from the cluster, its port refusing). A standalone node cannot tell the last two and waits the
 * grace. One instance per {@link ServerOwnership}, on its event loop.
 */
final class FormerOwnerFirst {

  // ServerOwnership's logger: these lines belong to the ownership's log.
  private static final Logger LOG = LoggerFactory.getLogger(ServerOwnership.class);

  /** How long after the database's return a free server waits for its former owner. */
  static final long GRACE_MS = 10_000;

  private final String server;
  private final String nodeName;
  private final NodeLiveness liveness;
  /** Owner until the database went away, its verticle kept: asking to own the server again. */
  private boolean reclaiming;
  /** The last attempt could not reach the database. */
  private boolean unreachable;
  /** When the database answered again after being out of reach (System.nanoTime), -1: no return to wait after. */
  private long backSinceNs = -1;
  /** The node the server was last left to (said once in the log). */
  private String leftTo;
  /** The last node that said it gave the server up, until the database says who owns it: not waited for. */
  private String releasedBy;

  FormerOwnerFirst(String server, String nodeName, NodeLiveness liveness) {
    this.server = server;
    this.nodeName = nodeName;
    this.liveness = liveness;
  }

  /** This node stopped owning the server; {@code databaseLost}: because the database went away. */
  void lost(boolean databaseLost) {
    reclaiming = databaseLost;
  }

  /** The database answered who owns the server (this node or another): nothing is reclaimed, nor released, now. */
  void settled() {
    reclaiming = false;
    releasedBy = null;
  }

  /** Node {@code node} said it gave the server up. */
  void releasedBy(String node) {
    releasedBy = node;
  }

  /** An attempt could not reach the database. */
  void unreachable() {
    unreachable = true;
    backSinceNs = -1;
  }

  /** Whether this node is asking for the server back after the database went away. */
  boolean reclaiming() {
    return reclaiming;
  }

  /**
   * Whether this node may try the server's lock now, the database being reachable again: false while the server is
   * left to its former owner.
   */
  Future<Boolean> mayTry(OwnershipSession session) {
    long now = System.nanoTime();
    if (unreachable) {
      unreachable = false;
      backSinceNs = now;
    }
    if (reclaiming || backSinceNs < 0) {
      return Future.succeededFuture(true);
    }
    if (now - backSinceNs >= GRACE_MS * 1_000_000) {
      backSinceNs = -1;
      return Future.succeededFuture(true);
    }
    return session.holder().compose(former -> {
      if (former == null || former.equals(nodeName) || former.equals(releasedBy)) {
        leftTo = null;
        return Future.succeededFuture(true);
      }
      return liveness.mayBeAlive(former).map(alive -> {
        if (!alive) {
          LOG.info("Server {}: node {}, its owner before the database was out of reach, has left the cluster and"
              + " its port refuses connections: not waited for", server, former);
        } else if (!former.equals(leftTo)) {
          LOG.info("Server {}: left to node {}, its owner before the database was out of reach, for up to {} ms",
              server, former, GRACE_MS);
        }
        leftTo = alive ? former : null;
        return !alive;
      });
    });
  }
}
