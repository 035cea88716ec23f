package dev.contactcenter.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The async appender, never blocking the thread that logs (an event loop must not wait for a slow console): when
 * its queue is full a line is dropped and counted here; {@code /metrics} reports the count.
 */
public final class CountingAsyncAppender extends AsyncAppender {

  private static final AtomicLong DROPPED = new AtomicLong();

  public CountingAsyncAppender() {
    setNeverBlock(true);
  }

  public static long dropped() {
    return DROPPED.get();
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (getRemainingCapacity() == 0) {
      DROPPED.incrementAndGet();
      return;
    }
    super.append(event);
  }
}
