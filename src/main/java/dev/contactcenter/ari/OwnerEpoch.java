package dev.contactcenter.ari;

import dev.contactcenter.bus.TransitionCommand;

/**
 * The Asterisk server an ARI verticle works for and the ownership epoch it holds it under: every state write it
 * makes carries both, so that the database refuses the writes of an owner that another node has replaced. The epoch
 * is renewed when the same node takes the server back after losing its database session (the verticle, and the
 * calls it follows, stay); writes still queued then carry the new epoch.
 */
public final class OwnerEpoch {

  private final String server;
  private volatile long epoch;

  /** @param epoch 0 for writes that carry no epoch (never fenced) */
  public OwnerEpoch(String server, long epoch) {
    this.server = server;
    this.epoch = epoch;
  }

  /** No ownership: writes are not fenced. */
  static OwnerEpoch none() {
    return new OwnerEpoch("default", 0);
  }

  public String server() {
    return server;
  }

  public long epoch() {
    return epoch;
  }

  /** This node owns the server again, under a new epoch. */
  public void renew(long newEpoch) {
    epoch = newEpoch;
  }

  /** The transition as written under the current epoch (an epoch of 0 is never fenced). */
  TransitionCommand stamp(TransitionCommand transition) {
    return transition.ownedBy(server, epoch);
  }
}
