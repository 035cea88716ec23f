package dev.contactcenter.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Log formats: a hostile value is one escaped, capped line in text and in JSON")
class LogFormatTest {

  private static final String HOSTILE = "eve\r\n2026-01-01 ERROR forged\u0000\u001b[31m" + "x".repeat(100_000);

  private static LoggingEvent event(LoggerContext context, Object argument) {
    return new LoggingEvent("test", context.getLogger("hostile"), Level.INFO, "user '{}' refused", null,
        new Object[] {argument});
  }

  @Test
  @DisplayName("text: %safeMsg escapes control characters and caps the message")
  void text() {
    LoggerContext context = new LoggerContext();
    PatternLayout layout = new PatternLayout();
    layout.setContext(context);
    layout.getInstanceConverterMap().put("safeMsg", SafeMessageConverter::new);
    layout.setPattern("%level %logger - %safeMsg%n");
    layout.start();

    String line = layout.doLayout(event(context, HOSTILE));
    assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
    assertThat(line).doesNotContain("\r").doesNotContain("\u0000").doesNotContain("\u001b")
        .contains("eve\\r\\n2026-01-01 ERROR forged\\u0000");
    assertThat(line.length()).isLessThan(SafeMessageConverter.MAX_MESSAGE_CHARS + 100);
  }

  @Test
  @DisplayName("JSON: one line per event; a value passed through LogSafe is capped")
  void json() {
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithFormattedMessage(true);
    encoder.start();

    String raw = new String(encoder.encode(event(context, HOSTILE)), StandardCharsets.UTF_8);
    String safe = new String(encoder.encode(event(context, LogSafe.text(HOSTILE))), StandardCharsets.UTF_8);
    for (String line : new String[] {raw, safe}) {
      assertThat(line.strip()).doesNotContain("\n").doesNotContain("\r");
      assertThat(new JsonObject(line).getString("formattedMessage")).startsWith("user 'eve");
    }
    assertThat(safe.length()).isLessThan(1_000);
  }
}
