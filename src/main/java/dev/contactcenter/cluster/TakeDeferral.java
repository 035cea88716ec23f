package dev.contactcenter.cluster;

import java.util.function.BooleanSupplier;

/**
 * The balance's yield rule as a standby applies it: while {@code othersFirst} says a less loaded node should take a
 * free server, this node skips its lock attempts, but never for longer than {@code graceMs} in a row, so a server the
 * preferred node does not take (it cannot reach the database, or died meanwhile) is still taken within the grace.
 * The clock restarts whenever an attempt is made: one attempt per grace while others come first.
 */
final class TakeDeferral {

  private final BooleanSupplier othersFirst;
  private final long graceNs;
  private long since = -1;

  TakeDeferral(BooleanSupplier othersFirst, long graceMs) {
    this.othersFirst = othersFirst;
    this.graceNs = graceMs * 1_000_000;
  }

  /** Whether to skip this attempt. */
  boolean defer() {
    if (!othersFirst.getAsBoolean()) {
      since = -1;
      return false;
    }
    long now = System.nanoTime();
    if (since < 0) {
      since = now;
    }
    return now - since < graceNs;
  }

  /** An attempt was made (the lock taken or found held): the next deferral starts afresh. */
  void restart() {
    since = -1;
  }

  /** This node just gave a server up: it defers from now, so that it does not take the server straight back. */
  void startNow() {
    since = System.nanoTime();
  }
}
