package dev.contactcenter.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/**
 * Counts what the service logs while attached to the root logger: lines, characters (message plus stack trace) and
 * lines that hold a raw line break, which would forge a line in a text log.
 */
public final class LogVolume extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private ch.qos.logback.classic.Level accessLevel;
  private final AtomicLong lines = new AtomicLong();
  private final AtomicLong chars = new AtomicLong();
  private final AtomicLong forged = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();

  public static LogVolume attach() {
    LogVolume volume = new LogVolume();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    volume.setContext(context);
    volume.setName("log-volume");
    volume.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(volume);
    // The access log is part of what a hostile client makes the service write.
    volume.accessLevel = context.getLogger("access").getLevel();
    context.getLogger("access").setLevel(ch.qos.logback.classic.Level.INFO);
    return volume;
  }

  @Override
  protected void append(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    lines.incrementAndGet();
    long size = message == null ? 0 : message.length();
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      size += ThrowableProxyUtil.asString(thrown).length();
    }
    chars.addAndGet(size);
    if (message != null && (message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0)) {
      forged.incrementAndGet();
    }
    if (event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR)) {
      errors.incrementAndGet();
    }
  }

  public long lines() {
    return lines.get();
  }

  public long chars() {
    return chars.get();
  }

  public long linesWithLineBreaks() {
    return forged.get();
  }

  public long errors() {
    return errors.get();
  }

  @Override
  public void close() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
    context.getLogger("access").setLevel(accessLevel);
    stop();
  }
}
