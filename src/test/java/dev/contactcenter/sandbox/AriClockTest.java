package dev.contactcenter.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The sandbox writes ARI timestamps exactly as the ARI formatter does")
class AriClockTest {

  @Test
  @DisplayName("the digit-by-digit format equals DateTimeFormatter's for edge and random instants")
  void sameAsTheFormatter() {
    long[] edges = {0, 1, 999, 1000, 86_399_999, Instant.parse("2026-12-31T23:59:59.999Z").toEpochMilli(),
        Instant.parse("2024-02-29T00:00:00.007Z").toEpochMilli(), Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli(),
        -1, Instant.parse("0999-01-01T00:00:00Z").toEpochMilli()};
    for (long ms : edges) {
      assertThat(AriClock.format(ms)).as("%d", ms).isEqualTo(AriClock.FORMAT.format(Instant.ofEpochMilli(ms)));
    }
    for (int i = 0; i < 10_000; i++) {
      long ms = ThreadLocalRandom.current().nextLong(0, 4_102_444_800_000L);
      assertThat(AriClock.format(ms)).isEqualTo(AriClock.FORMAT.format(Instant.ofEpochMilli(ms)));
    }
  }
}
