package dev.contactcenter.webhooks;

import java.util.List;

/**
 * Webhook delivery settings (the {@code WEBHOOK_*} keys).
 *
 * @param enabled whether the relay runs at all (deliveries are still recorded when off)
 * @param allowHttp accept {@code http://} targets (default: {@code https} only)
 * @param allowPrivate accept internal addresses (loopback, private, link-local...) for every host
 * @param allowedHosts host names or literal addresses accepted even when they resolve to an internal address
 * @param maxAgeSeconds how long a delivery is retried before it is marked dead
 * @param retryBaseMs first retry delay; doubles per attempt, with jitter
 * @param retryMaxMs cap of one retry delay
 * @param connectTimeoutMs TCP/TLS connect timeout per attempt
 * @param responseTimeoutMs time allowed for the receiver's answer per attempt
 * @param concurrency deliveries in flight in this process, in total
 * @param concurrencyPerEndpoint connections to one receiver (host and port) at once
 * @param pollMs how often the relay looks for due deliveries besides the database's notifications
 * @param secretOverlapSeconds how long a rotated-out secret still signs
 */
public record WebhookSettings(boolean enabled, boolean allowHttp, boolean allowPrivate, List<String> allowedHosts,
    int maxAgeSeconds, int retryBaseMs, int retryMaxMs, int connectTimeoutMs, int responseTimeoutMs, int concurrency,
    int concurrencyPerEndpoint, int pollMs, int secretOverlapSeconds) {

  /** Bytes of a receiver's answer kept for the delivery log; the rest is not read. */
  public static final int RESPONSE_BODY_CAP = 1024;

  public WebhookSettings {
    allowedHosts = List.copyOf(allowedHosts);
  }

  /** Safe defaults: https only, no internal addresses, 24 h of retries. */
  public static WebhookSettings defaults() {
    return new WebhookSettings(true, false, false, List.of(), 86_400, 5_000, 3_600_000, 5_000, 10_000, 32, 4, 2_000,
        86_400);
  }

  /** How long a claimed delivery stays reserved for the node that claimed it (then another may retry it). */
  public long leaseMs() {
    return connectTimeoutMs + responseTimeoutMs + 5_000L;
  }
}
