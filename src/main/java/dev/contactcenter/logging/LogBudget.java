package dev.contactcenter.logging;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A budget of log lines for things a client can provoke at will (bad frames, refused sockets): at most
 * {@code lines} per {@code windowMillis}, the rest counted and reported with the next line allowed.
 */
public final class LogBudget {

  private final int lines;
  private final long windowMillis;
  private final AtomicLong windowStart = new AtomicLong();
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong suppressed = new AtomicLong();

  public LogBudget(int lines, long windowMillis) {
    this.lines = lines;
    this.windowMillis = windowMillis;
  }

  /** -1 when this line must not be written; otherwise how many were suppressed since the last one written. */
  public long take(long nowMillis) {
    long start = windowStart.get();
    if (nowMillis - start >= windowMillis && windowStart.compareAndSet(start, nowMillis)) {
      used.set(0);
    }
    if (used.incrementAndGet() > lines) {
      suppressed.incrementAndGet();
      return -1;
    }
    return suppressed.getAndSet(0);
  }
}
