package dev.contactcenter.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed delivery is tried again: exponential backoff from a base delay, capped, with "equal jitter"
 * (half fixed, half random) so receivers coming back are not hit by every sender at the same instant; nothing
 * after the delivery's maximum age (it is then dead).
 */
public final class RetrySchedule {

  private final long baseMs;
  private final long maxMs;
  private final Duration maxAge;

  public RetrySchedule(WebhookSettings settings) {
    this(settings.retryBaseMs(), settings.retryMaxMs(), Duration.ofSeconds(settings.maxAgeSeconds()));
  }

  RetrySchedule(long baseMs, long maxMs, Duration maxAge) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.maxAge = maxAge;
  }

  /** Delay before the retry following attempt number {@code attempts} (1 = the first attempt failed). */
  public long delayMs(int attempts) {
    int exponent = Math.min(Math.max(attempts - 1, 0), 30);
    long full = Math.min(maxMs, baseMs << exponent);
    long half = full / 2;
    return half + ThreadLocalRandom.current().nextLong(full - half + 1);
  }

  /** The next attempt's time, or empty when it would fall after the delivery's maximum age. */
  public Optional<Instant> next(int attempts, Instant ageFrom, Instant now) {
    Instant next = now.plusMillis(delayMs(attempts));
    return next.isAfter(ageFrom.plus(maxAge)) ? Optional.empty() : Optional.of(next);
  }
}
