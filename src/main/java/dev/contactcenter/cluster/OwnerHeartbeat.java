package dev.contactcenter.cluster;

import io.vertx.core.Future;

/**
 * An owner's proof that its database session lives and its epoch is still current: one heartbeat at a time, and how
 * long since the last one came back. Used on the ownership's event loop.
 */
final class OwnerHeartbeat {

  private long lastOkNs;
  private boolean inFlight;

  /** Ownership just taken: the silence counts from now. */
  void started() {
    lastOkNs = System.nanoTime();
  }

  /** Milliseconds since the last heartbeat came back (or ownership was taken). */
  long silentMs() {
    return (System.nanoTime() - lastOkNs) / 1_000_000;
  }

  /**
   * Beats unless a beat is still out. Completes with false when the epoch was superseded, true otherwise (a beat
   * that fails or is skipped says nothing: the silence decides).
   */
  Future<Boolean> beat(OwnershipSession session, long epoch) {
    if (inFlight || session == null) {
      return Future.succeededFuture(true);
    }
    inFlight = true;
    return session.heartbeat(epoch).onComplete(done -> inFlight = false).map(current -> {
      if (current) {
        lastOkNs = System.nanoTime();
      }
      return current;
    }).otherwise(true);
  }
}
