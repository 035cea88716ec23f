package dev.contactcenter.cluster;

import io.vertx.core.Future;
import java.util.function.BooleanSupplier;

/**
 * The balance's yield rule as a standby applies it: while {@code othersFirst} says a less loaded node should take a
 * free server, this node only looks (is the lock held?) and takes the server once it has seen it free for
 * {@code graceMs} in a row. The less loaded node, asking every second, takes it well within the grace; if it does
 * not (it cannot reach the database, or died meanwhile), the server is still taken. Counting from the first free
 * sighting, rather than skipping attempts for a while, keeps a yielding node from taking a server the moment it
 * happens to look right after the owner died.
 */
final class TakeDeferral {

  private final BooleanSupplier othersFirst;
  private final long graceNs;
  private long freeSince = -1;

  TakeDeferral(BooleanSupplier othersFirst, long graceMs) {
    this.othersFirst = othersFirst;
    this.graceNs = graceMs * 1_000_000;
  }

  /**
   * Whether a standby tries the lock now: always, unless a less loaded node should take a free server first; then
   * only when the lock is held (the attempt notes who holds it) or has been free for the grace.
   */
  Future<Boolean> mayTry(OwnershipSession session) {
    if (!othersFirst.getAsBoolean()) {
      return Future.succeededFuture(true);
    }
    return session.held().map(held -> held || freeForGrace());
  }

  /** The server was seen held (or taken here): the next free sighting starts the grace anew. */
  void held() {
    freeSince = -1;
  }

  /** The server was seen free: true once it has stayed free for the grace. */
  boolean freeForGrace() {
    long now = System.nanoTime();
    if (freeSince < 0) {
      freeSince = now;
    }
    return now - freeSince >= graceNs;
  }

  /** This node just gave the server up: free from now, so it does not take it straight back. */
  void startNow() {
    freeSince = System.nanoTime();
  }
}
