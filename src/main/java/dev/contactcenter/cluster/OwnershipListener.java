package dev.contactcenter.cluster;

/** Told by a {@link ServerOwnership}, on its event loop, when this node starts and stops owning the server. */
public interface OwnershipListener {
  void acquired(String server, long epoch);

  void lost(String server, long epoch, String reason);

  /**
   * Ownership ended because this node lost its database session (down, unreachable, too slow), not because
   * another node took over: nobody else can take the lock while the database is away either. By default the
   * same as {@link #lost}; a listener may keep following the server's calls until it learns who owns it next.
   */
  default void suspended(String server, long epoch, String reason) {
    lost(server, epoch, reason);
  }

  /** An attempt found the lock held by another session: {@code ownerNode} (may be null) owns the server. */
  default void standingBy(String server, String ownerNode) {
  }
}
