package dev.contactcenter.cluster;

/**
 * How fast ownership moves. A standby asks for the lock every {@code retryMs}; an owner proves its database session
 * every {@code heartbeatMs} and gives ownership up itself when a heartbeat has not come back in {@code lostAfterMs}
 * (by then the database is about to drop the session and the lock anyway: see {@link ServerOwnership}).
 */
public record OwnershipTiming(long retryMs, long heartbeatMs, long lostAfterMs) {

  /** Takeover after a kill -9 within about one {@code retryMs}; a silent host within keep-alive time (~8 s). */
  public static OwnershipTiming defaults() {
    return new OwnershipTiming(1000, 1000, 4000);
  }

  public OwnershipTiming {
    if (retryMs < 10 || heartbeatMs < 10 || lostAfterMs <= heartbeatMs) {
      throw new IllegalArgumentException("retry and heartbeat >= 10 ms, lostAfter > heartbeat");
    }
  }
}
