package dev.contactcenter.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What this node last heard of the other nodes' ownership loads, and the two balance rules read from it. A node is
 * counted while it announced itself within {@link #LIVE_NS} and said it can own (its ownership attempts reach the
 * database); a node that stops announcing (killed, cut off) drops out by itself, at once when it leaves the cluster's
 * member list, and a node that says it is stopping is forgotten. Times are {@link System#nanoTime()}
 * values passed in, so the rules are plain functions of what was heard.
 *
 * <ul>
 *   <li><b>Yield:</b> a standby leaves a free server to a node that owns fewer servers than it does.</li>
 *   <li><b>Hand over:</b> an owner gives one server up when some node owns two or more fewer, and has been heard for
 *       {@link #SETTLED_NS} (a node just started, or flapping, is not handed work at once).</li>
 * </ul>
 * Both only move a server towards a less loaded node, so ownership converges to counts within one of each other and
 * never oscillates. Not thread-safe: used on one event loop.
 */
final class OwnershipLoads {

  /** A node unheard for this long is gone: three of its announcements missed. */
  static final long LIVE_NS = 3_500_000_000L;
  /** How long a node must have been heard before servers are handed to it. */
  static final long SETTLED_NS = 2_000_000_000L;

  private record Heard(int owned, boolean canOwn, long firstHeardNs, long lastHeardNs) {
  }

  private final String self;
  private final Map<String, Heard> peers = new HashMap<>();
  private final Predicate<String> member;

  OwnershipLoads(String self) {
    this(self, node -> true);
  }

  /** @param member whether a node is still a cluster member: one that is not (killed) is left nothing */
  OwnershipLoads(String self, Predicate<String> member) {
    this.self = self;
    this.member = member;
  }

  /** Records one announcement; this node's own are ignored (it knows its load first-hand). */
  void heard(String node, int owned, boolean canOwn, long nowNs) {
    if (self.equals(node)) {
      return;
    }
    Heard before = peers.get(node);
    boolean continuous = before != null && nowNs - before.lastHeardNs() < LIVE_NS;
    peers.put(node, new Heard(owned, canOwn, continuous ? before.firstHeardNs() : nowNs, nowNs));
  }

  /** Node {@code node} is leaving: nothing is left to it, whatever it announced last. */
  void forget(String node) {
    peers.remove(node);
  }

  /** Whether a live node that can own holds fewer servers than {@code ownedHere}: a free server is left to it. */
  boolean anotherOwnsFewer(int ownedHere, long nowNs) {
    return fewest(nowNs, 0) < ownedHere;
  }

  /** Whether this node, owning {@code ownedHere}, should hand one server to a settled node owning two or more fewer. */
  boolean shouldHandOver(int ownedHere, long nowNs) {
    return ownedHere - fewest(nowNs, SETTLED_NS) >= 2;
  }

  /** The live nodes (not this one) as {@code name -> servers owned}, for the hand-over's log line. */
  Map<String, Integer> live(long nowNs) {
    Map<String, Integer> live = new HashMap<>();
    peers.forEach((node, h) -> {
      if (nowNs - h.lastHeardNs() < LIVE_NS) {
        live.put(node, h.owned());
      }
    });
    return live;
  }

  /** The fewest servers owned by a live node that can own and was heard for at least {@code settledNs}. */
  private int fewest(long nowNs, long settledNs) {
    int fewest = Integer.MAX_VALUE;
    var stale = peers.entrySet().iterator();
    while (stale.hasNext()) {
      var entry = stale.next();
      Heard h = entry.getValue();
      if (nowNs - h.lastHeardNs() >= LIVE_NS || !member.test(entry.getKey())) {
        stale.remove();
      } else if (h.canOwn() && nowNs - h.firstHeardNs() >= settledNs) {
        fewest = Math.min(fewest, h.owned());
      }
    }
    return fewest;
  }
}
