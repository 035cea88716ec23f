package dev.contactcenter.sandbox;

import java.time.Instant;
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

  static String format(long epochMs) {
    return FORMAT.format(Instant.ofEpochMilli(epochMs));
  }
}
