package dev.contactcenter.webhooks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Webhook meters (Prometheus names): {@code contact_center_webhook_deliveries_total{outcome}} with outcome
 * delivered, retried (an attempt failed, another is scheduled), dead (given up, or the receiver answered 410);
 * {@code contact_center_webhook_pending} and {@code contact_center_webhook_oldest_pending_seconds} (age of the
 * oldest delivery not yet delivered: the alert for a stuck receiver or relay).
 */
public final class WebhookMetrics {

  private final Counter delivered;
  private final Counter retried;
  private final Counter dead;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong oldestPendingMillis = new AtomicLong();

  public WebhookMetrics(MeterRegistry registry) {
    delivered = counter(registry, "delivered");
    retried = counter(registry, "retried");
    dead = counter(registry, "dead");
    Gauge.builder("contact_center.webhook.pending", pending, AtomicLong::get)
        .description("Webhook deliveries not yet delivered, dead or canceled").register(registry);
    Gauge.builder("contact_center.webhook.oldest.pending.seconds", oldestPendingMillis, m -> m.get() / 1000.0)
        .description("Age of the oldest pending webhook delivery, in seconds").register(registry);
  }

  private static Counter counter(MeterRegistry registry, String outcome) {
    return Counter.builder("contact_center.webhook.deliveries")
        .description("Webhook delivery attempts by outcome: delivered, retried, dead")
        .tag("outcome", outcome).register(registry);
  }

  void delivered() {
    delivered.increment();
  }

  void retried() {
    retried.increment();
  }

  void dead() {
    dead.increment();
  }

  void pending(long count, double oldestSeconds) {
    pending.set(count);
    oldestPendingMillis.set(Math.round(oldestSeconds * 1000));
  }
}
