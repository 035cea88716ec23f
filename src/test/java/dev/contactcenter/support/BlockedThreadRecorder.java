package dev.contactcenter.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Logback appender (see logback-test.xml) collecting Vert.x's blocked-thread warnings that show a blocking call on
 * an event loop: JDBC, Flyway, bcrypt, file I/O, sleeping or waiting on a lock. With the checker of
 * vertx-options.json (300 ms, with stack traces) such a call makes {@link #assertNoneSince} fail.
 *
 * <p>A warning whose stack shows only CPU work (a socket write, JIT-cold code) is not counted: on two shared cores
 * under a load of 10 the scheduler alone can hold a thread that long, and failing on that would make the suite
 * flaky without finding anything.
 */
public final class BlockedThreadRecorder extends AppenderBase<ILoggingEvent> {

  private static final List<String> BLOCKING_FRAMES = List.of(
      "java.sql.", "org.postgresql.", "org.flywaydb.", "at.favre.lib.crypto.bcrypt.", "io.zonky.",
      "java.io.FileInputStream", "java.io.FileOutputStream", "java.io.RandomAccessFile", "java.nio.file.Files",
      "sun.nio.fs.", "java.lang.Thread.sleep", "java.lang.Object.wait", "java.util.concurrent.locks.LockSupport.park",
      "java.util.concurrent.CompletableFuture.get", "java.util.concurrent.FutureTask.get", "java.lang.Process");

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message == null || !message.contains("has been blocked") || !message.contains("eventloop")) {
      return;
    }
    String blockingFrame = blockingFrame(event.getThrowableProxy());
    if (blockingFrame != null) {
      WARNINGS.add(message + " in " + blockingFrame);
    }
  }

  private static String blockingFrame(IThrowableProxy proxy) {
    if (proxy == null) {
      return null;
    }
    for (StackTraceElementProxy frame : proxy.getStackTraceElementProxyArray()) {
      String text = frame.getStackTraceElement().getClassName() + "." + frame.getStackTraceElement().getMethodName();
      for (String blocking : BLOCKING_FRAMES) {
        if (text.startsWith(blocking)) {
          return frame.getStackTraceElement().toString();
        }
      }
    }
    return null;
  }

  public static int count() {
    return WARNINGS.size();
  }

  /** Fails when an event loop was blocked by a blocking call since {@code mark} (a value of {@link #count()}). */
  public static void assertNoneSince(int mark) {
    if (WARNINGS.size() > mark) {
      throw new AssertionError("An event loop was blocked: " + WARNINGS.subList(mark, WARNINGS.size()));
    }
  }
}
