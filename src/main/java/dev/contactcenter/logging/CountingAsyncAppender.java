package dev.contactcenter.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Log lines written by a background thread, never by the thread that logs (an event loop must not wait for a slow
 * console): a logging thread only queues the line, and when the queue is full the line is dropped and counted
 * ({@code /metrics} reports the count).
 *
 * <p>The writer is not woken per line: it drains the queue in batches and, while it is empty, sleeps a short while
 * ({@link #BUSY_PAUSE_MS}, then {@link #IDLE_PAUSE_MS} once idle). A blocking queue would wake it for nearly every
 * line — the access log writes one per request — and those wake-ups were a measurable share of the event loops' CPU.
 * A line is written at most {@link #IDLE_PAUSE_MS} after it was logged; {@link #stop()} writes out what is queued.
 */
public final class CountingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
    implements AppenderAttachable<ILoggingEvent> {

  /** The writer's pause while lines keep coming. */
  static final long BUSY_PAUSE_MS = 10;
  /** The writer's pause once a pause found nothing to write. */
  static final long IDLE_PAUSE_MS = 100;
  /** Lines written per batch; a larger backlog is written in several. */
  private static final int BATCH = 512;

  private static final AtomicLong DROPPED = new AtomicLong();

  private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
  private int queueSize = 8192;
  private ArrayBlockingQueue<ILoggingEvent> queue;
  private Thread writer;
  private volatile boolean running;

  public static long dropped() {
    return DROPPED.get();
  }

  /** Lines queued and not yet taken by the writer. */
  int queued() {
    return queue.size();
  }

  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  @Override
  public void start() {
    if (isStarted()) {
      return;
    }
    queue = new ArrayBlockingQueue<>(Math.max(1, queueSize));
    running = true;
    writer = new Thread(this::writeUntilStopped, "log-writer-" + getName());
    writer.setDaemon(true);
    super.start();
    writer.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    // The message, its arguments and the MDC (request id) are read now, on the logging thread.
    event.prepareForDeferredProcessing();
    if (!queue.offer(event)) {
      DROPPED.incrementAndGet();
    }
  }

  private void writeUntilStopped() {
    List<ILoggingEvent> batch = new ArrayList<>(BATCH);
    boolean idle = false;
    while (running) {
      if (queue.drainTo(batch, BATCH) == 0) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(idle ? IDLE_PAUSE_MS : BUSY_PAUSE_MS));
        idle = queue.isEmpty();
        continue;
      }
      write(batch);
      idle = false;
    }
    while (queue.drainTo(batch, BATCH) > 0) {
      write(batch);
    }
  }

  private void write(List<ILoggingEvent> batch) {
    for (ILoggingEvent event : batch) {
      appenders.appendLoopOnAppenders(event);
    }
    batch.clear();
  }

  /** Writes out every queued line (waiting at most a few seconds for a stuck console), then stops. */
  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop();
    running = false;
    LockSupport.unpark(writer);
    try {
      writer.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    appenders.detachAndStopAllAppenders();
  }

  @Override
  public void addAppender(Appender<ILoggingEvent> appender) {
    appenders.addAppender(appender);
  }

  @Override
  public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
    return appenders.iteratorForAppenders();
  }

  @Override
  public Appender<ILoggingEvent> getAppender(String name) {
    return appenders.getAppender(name);
  }

  @Override
  public boolean isAttached(Appender<ILoggingEvent> appender) {
    return appenders.isAttached(appender);
  }

  @Override
  public void detachAndStopAllAppenders() {
    appenders.detachAndStopAllAppenders();
  }

  @Override
  public boolean detachAppender(Appender<ILoggingEvent> appender) {
    return appenders.detachAppender(appender);
  }

  @Override
  public boolean detachAppender(String name) {
    return appenders.detachAppender(name);
  }
}
