package dev.contactcenter.config;

import dev.contactcenter.webhooks.WebhookSettings;

/** Reads the webhook settings (WEBHOOK_*, WEBHOOKS_ENABLED). */
final class WebhookConfig {

  private WebhookConfig() {
  }

  static WebhookSettings read(ConfigValues v) {
    return new WebhookSettings(
        v.bool("WEBHOOKS_ENABLED"),
        v.bool("WEBHOOK_ALLOW_HTTP"),
        v.bool("WEBHOOK_ALLOW_PRIVATE"),
        v.list("WEBHOOK_ALLOWED_HOSTS").stream().map(String::toLowerCase).toList(),
        v.integer("WEBHOOK_MAX_AGE_SECONDS", n -> n >= 1 && n <= 30 * 86_400, "seconds between 1 and 2592000"),
        v.integer("WEBHOOK_RETRY_BASE_MS", n -> n >= 10 && n <= 3_600_000, "milliseconds between 10 and 3600000"),
        v.integer("WEBHOOK_RETRY_MAX_MS", n -> n >= 10 && n <= 86_400_000, "milliseconds between 10 and 86400000"),
        v.integer("WEBHOOK_CONNECT_TIMEOUT_MS", n -> n >= 100 && n <= 60_000, "milliseconds between 100 and 60000"),
        v.integer("WEBHOOK_RESPONSE_TIMEOUT_MS", n -> n >= 100 && n <= 120_000, "milliseconds between 100 and 120000"),
        v.integer("WEBHOOK_CONCURRENCY", n -> n >= 1 && n <= 1024, "between 1 and 1024"),
        v.integer("WEBHOOK_CONCURRENCY_PER_ENDPOINT", n -> n >= 1 && n <= 256, "between 1 and 256"),
        v.integer("WEBHOOK_POLL_MS", n -> n >= 50 && n <= 600_000, "milliseconds between 50 and 600000"),
        v.integer("WEBHOOK_SECRET_OVERLAP_SECONDS", n -> n >= 0 && n <= 30 * 86_400, "seconds between 0 and 2592000"));
  }
}
