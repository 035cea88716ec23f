package dev.contactcenter.dispatch;

/**
 * A server's admission arithmetic, on its owner's event loop (not thread-safe): starts are spaced evenly, a little
 * more than {@code 1 / max_calls_per_second} apart, so that no second of Asterisk's clock sees more than the limit
 * even with some jitter between our send and Asterisk's channel creation; calls in progress stay under
 * {@code max_concurrent_calls}. Times are {@link System#nanoTime()} values.
 */
final class Pacer {

  /** Spacing over the exact 1/rate: 21 starts then span at least 1.05 s, so 50 ms of jitter still keeps 20 per second. */
  static final double MARGIN = 1.05;

  private final long spacingNanos;
  private final int maxConcurrent;
  private long nextSlot;
  private boolean anyStart;
  private int active;

  Pacer(DispatchLimits limits) {
    this.spacingNanos = limits.maxCallsPerSecond() == 0 ? 0
        : (long) Math.ceil(1_000_000_000.0 * MARGIN / limits.maxCallsPerSecond());
    this.maxConcurrent = limits.maxConcurrentCalls();
  }

  boolean rateLimited() {
    return spacingNanos > 0;
  }

  long spacingNanos() {
    return spacingNanos;
  }

  /** Calls that may be reserved right now for the concurrency limit (large when there is none). */
  int free() {
    return maxConcurrent == 0 ? Integer.MAX_VALUE : Math.max(0, maxConcurrent - active);
  }

  boolean canStart(long now) {
    return free() > 0 && slotOpen(now);
  }

  private boolean slotOpen(long now) {
    return spacingNanos == 0 || !anyStart || now - nextSlot >= 0;
  }

  /** Nanoseconds until the rate allows the next start (0 when it does now). */
  long waitNanos(long now) {
    return slotOpen(now) ? 0 : nextSlot - now;
  }

  /** {@code count} calls were taken: they count as in progress from now on. */
  void reserve(int count) {
    active += count;
  }

  /** A dial request leaves now: the next one waits a full spacing. */
  void sent(long now) {
    nextSlot = now + spacingNanos;
    anyStart = true;
  }

  /**
   * A call admitted on the API's immediate path: its dial leaves a moment later than this decision (after the call
   * is stored), so it holds two spacings, and no paced dial can come closer to it than one.
   */
  void admittedNow(long now) {
    reserve(1);
    nextSlot = now + 2 * spacingNanos;
    anyStart = true;
  }

  void ended() {
    if (active > 0) {
      active--;
    }
  }

  /** The database's count of calls in progress, plus those reserved since the count was asked for. */
  void resync(int inProgress) {
    active = Math.max(0, inProgress);
  }

  int active() {
    return active;
  }
}
