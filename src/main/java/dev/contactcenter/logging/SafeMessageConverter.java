package dev.contactcenter.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %safeMsg}: the message with control characters escaped and its length capped, so that no value reaching a
 * log line (ours or a library's) can forge a line of the text log or fill it. Stack traces are printed apart.
 */
public final class SafeMessageConverter extends MessageConverter {

  /** Longest message written; library messages quoting a client's input can be long. */
  static final int MAX_MESSAGE_CHARS = 2000;

  @Override
  public String convert(ILoggingEvent event) {
    return LogSafe.text(super.convert(event), MAX_MESSAGE_CHARS);
  }
}
