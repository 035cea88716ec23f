package dev.contactcenter.support;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Logback appender (see logback-test.xml) collecting Vert.x's blocked-thread warnings. With the tight checker of
 * vertx-options.json (100 ms), any blocking call on an event loop shows up here and {@link #assertNoneSince} fails.
 */
public final class BlockedThreadRecorder extends AppenderBase<ILoggingEvent> {

  private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    if (message != null && message.contains("has been blocked") && message.contains("eventloop")) {
      WARNINGS.add(message);
    }
  }

  public static int count() {
    return WARNINGS.size();
  }

  /** Fails when an event loop was blocked since {@code mark} (a value of {@link #count()}). */
  public static void assertNoneSince(int mark) {
    if (WARNINGS.size() > mark) {
      throw new AssertionError("An event loop was blocked: " + WARNINGS.subList(mark, WARNINGS.size()));
    }
  }
}
