package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading ARI event timestamps")
class AriEventTimeTest {

  private static final DateTimeFormatter ARI = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  @Test
  @DisplayName("reads ARI's format to the millisecond, as the formatter does, for any offset")
  void sameAsTheFormatter() {
    for (String value : new String[] {"2026-11-23T21:43:18.347+0000", "2024-02-29T23:59:59.999+0530",
        "1999-12-31T00:00:00.000-0800", "2026-01-01T00:00:00.001+0000"}) {
      assertThat(AriEvent.parseAriTime(value)).as(value).isEqualTo(ARI.parse(value, Instant::from));
      assertThat(AriEvent.parseTime(value)).as(value).isEqualTo(ARI.parse(value, Instant::from));
    }
  }

  @Test
  @DisplayName("leaves anything else to the formatters (and ISO-8601 still parses)")
  void othersFallBack() {
    assertThat(AriEvent.parseAriTime("2026-11-23T21:43:18.347Z")).isNull();
    assertThat(AriEvent.parseAriTime("2026-13-23T21:43:18.347+0000")).isNull();
    assertThat(AriEvent.parseAriTime("2026-02-30T21:43:18.347+0000")).isNull();
    assertThat(AriEvent.parseTime("2026-11-23T21:43:18.347Z")).isEqualTo(Instant.parse("2026-11-23T21:43:18.347Z"));
  }
}
