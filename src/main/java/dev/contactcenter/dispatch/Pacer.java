package dev.contactcenter.dispatch;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * A server's admission arithmetic, on its owner's event loop (not thread-safe): starts are spaced evenly, a little
 * more than {@code 1 / max_calls_per_second} apart, so that no second of Asterisk's clock sees more than the limit
 * even with some jitter between our send and Asterisk's channel creation; calls in progress stay under
 * {@code max_concurrent_calls}. Times are {@link System#nanoTime()} values.
 */
final class Pacer {

  /**
   * Spacing over the exact 1/rate: 21 starts then span at least 1.1 s, so Asterisk's clock still sees at most 20 in
   * any second when it takes up to 100 ms longer to create one channel than another (a scheduling stall on a busy
   * host, then catching up, is that long).
   */
  static final double MARGIN = 1.10;

  private final long spacingNanos;
  private final int maxConcurrent;
  private long nextSlot;
  private boolean anyStart;
  private int active;
  /** Claimed calls counted in {@link #active} whose mark is not settled yet: each is counted down once, by whichever
   * comes first of its refused mark and its terminal status. */
  private final Set<String> unmarked = new HashSet<>();
  /** Claimed calls already counted down by a refused mark: their terminal status (a cancel) must not count again. */
  private final Set<String> countedByRefusal = new HashSet<>();

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

  /** Calls taken off the queue: in progress from now on, until their mark is refused or they end. */
  void claimed(Collection<String> callIds) {
    reserve(callIds.size());
    unmarked.addAll(callIds);
  }

  /** The call was marked sent: from now on only its terminal status counts it down. */
  void marked(String callId) {
    unmarked.remove(callId);
  }

  /**
   * The call's mark was refused (canceled while being taken, or not ours any more): counted down now unless its
   * terminal status already did; if that status comes later it is not counted again.
   */
  void refused(String callId) {
    if (unmarked.remove(callId)) {
      countDown();
      countedByRefusal.add(callId);
    }
  }

  /** A claimed call is given up unmarked (the server's owner changes): counted down, no terminal status follows. */
  void released(String callId) {
    if (unmarked.remove(callId)) {
      countDown();
    }
  }

  /** The call reached a terminal status after leaving the queue: counted down once, whatever the order of events. */
  void ended(String callId) {
    if (unmarked.remove(callId) || !countedByRefusal.remove(callId)) {
      countDown();
    }
  }

  /** A call admitted on the immediate path (never claimed) ended. */
  void ended() {
    countDown();
  }

  private void countDown() {
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
