package dev.contactcenter.dispatch;

/**
 * One Asterisk server's admission limits; 0 means "no limit" (the default: every call is dialled at once).
 *
 * @param maxCallsPerSecond  call attempts started per second on the server (a carrier's CPS limit)
 * @param maxConcurrentCalls calls in progress on the server at once (a trunk's channel count)
 * @param maxQueueSeconds    default time a call may wait in the queue before it ends {@code failed}
 */
public record DispatchLimits(int maxCallsPerSecond, int maxConcurrentCalls, int maxQueueSeconds) {

  public static final DispatchLimits NONE = new DispatchLimits(0, 0, 0);

  public static final int MAX_CALLS_PER_SECOND = 1000;
  public static final int MAX_CONCURRENT_CALLS = 100_000;
  public static final int MAX_QUEUE_SECONDS = 7 * 86_400;

  public DispatchLimits {
    check(maxCallsPerSecond, MAX_CALLS_PER_SECOND, "max_calls_per_second");
    check(maxConcurrentCalls, MAX_CONCURRENT_CALLS, "max_concurrent_calls");
    check(maxQueueSeconds, MAX_QUEUE_SECONDS, "max_queue_seconds");
  }

  private static void check(int value, int max, String name) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(name + " must be 0 (none) to " + max);
    }
  }

  /** True when calls may have to wait: a rate or a concurrency limit is set. */
  public boolean limited() {
    return maxCallsPerSecond > 0 || maxConcurrentCalls > 0;
  }
}
