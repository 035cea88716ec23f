package dev.contactcenter.cluster;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import dev.contactcenter.logging.CountingAsyncAppender;
import java.util.Iterator;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Puts the node's name on every log line once several nodes write logs that end up side by side: in the text
 * format before the thread name ({@code %node} in logback.xml), in the JSON format as the context property
 * {@code node}.
 * A single process with no {@code NODE_NAME} keeps today's lines.
 */
public final class NodeLogging {

  private static volatile String prefix = "";

  private NodeLogging() {
  }

  /** Shows {@code settings.nodeName()} in logs when clustered or when NODE_NAME was set explicitly. */
  public static void apply(ClusterSettings settings) {
    if (!(settings.enabled() || settings.nodeNameSet())) {
      return;
    }
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return;
    }
    prefix = settings.nodeName() + " ";
    context.putProperty("node", settings.nodeName());
    Iterator<Appender<ILoggingEvent>> appenders = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        .iteratorForAppenders();
    while (appenders.hasNext()) {
      showContextInJson(appenders.next());
    }
  }

  private static void showContextInJson(Appender<ILoggingEvent> appender) {
    if (appender instanceof CountingAsyncAppender async) {
      async.iteratorForAppenders().forEachRemaining(NodeLogging::showContextInJson);
    } else if (appender instanceof OutputStreamAppender<ILoggingEvent> out && out.getEncoder() instanceof JsonEncoder json) {
      json.setWithContext(true);
    }
  }

  /** {@code %node}: the node's name and a space, or nothing while {@link #apply} has not named one. */
  public static final class Converter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return prefix;
    }
  }
}
