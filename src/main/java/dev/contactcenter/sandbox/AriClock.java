package dev.contactcenter.sandbox;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Wall-clock milliseconds that never go backwards, and the timestamp format of ARI.
 *
 * <p>Event timestamps must be ordered per channel even if the system clock is adjusted, so the clock
 * reads the wall time once and advances with {@link System#nanoTime()}.
 */
final class AriClock {

  /** ARI's format, e.g. {@code 2026-11-23T21:43:18.347+0000}. */
  static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final long baseEpochMs = System.currentTimeMillis();
  private final long baseNanos = System.nanoTime();

  long nowMs() {
    return baseEpochMs + (System.nanoTime() - baseNanos) / 1_000_000;
  }

  /** {@link #FORMAT} written digit by digit: every sandbox event carries one, and the formatter was a hot spot. */
  static String format(long epochMs) {
    long seconds = Math.floorDiv(epochMs, 1000);
    LocalDateTime t = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
    if (t.getYear() < 1000 || t.getYear() > 9999) {
      return FORMAT.format(Instant.ofEpochMilli(epochMs));
    }
    StringBuilder out = new StringBuilder(28).append(t.getYear()).append('-');
    two(out, t.getMonthValue()).append('-');
    two(out, t.getDayOfMonth()).append('T');
    two(out, t.getHour()).append(':');
    two(out, t.getMinute()).append(':');
    two(out, t.getSecond()).append('.');
    int millis = (int) Math.floorMod(epochMs, 1000);
    return out.append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
        .append((char) ('0' + millis % 10)).append("+0000").toString();
  }

  private static StringBuilder two(StringBuilder out, int value) {
    return out.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
  }
}
