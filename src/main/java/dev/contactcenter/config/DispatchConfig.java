package dev.contactcenter.config;

import dev.contactcenter.cluster.AsteriskServers;
import dev.contactcenter.dispatch.DispatchSettings;
import dev.contactcenter.dispatch.RetryPolicy;

/**
 * Reads the dispatch settings: the limits of the ARI_* server, the calls' retry defaults (CALL_RETRY_*) and the queue's
 * backup poll.
 */
final class DispatchConfig {

  private DispatchConfig() {
  }

  static DispatchSettings read(ConfigValues v) {
    RetryPolicy retry;
    try {
      retry = RetryPolicy.of(
          v.integer("CALL_RETRY_MAX_ATTEMPTS", n -> n >= 1 && n <= RetryPolicy.MAX_ATTEMPTS, "between 1 and 20"),
          v.list("CALL_RETRY_ON"),
          v.integer("CALL_RETRY_DELAY_SECONDS", n -> n >= 0 && n <= RetryPolicy.MAX_DELAY_SECONDS,
              "seconds between 0 and 86400"));
    } catch (RetryPolicy.Invalid invalid) {
      throw new ConfigException("CALL_RETRY_ON", "a comma-separated list of busy, no_answer, failed: "
          + invalid.getMessage());
    }
    return new DispatchSettings(AsteriskServers.shorthandLimits(v::string), retry,
        v.integer("DISPATCH_POLL_MS", n -> n >= 50 && n <= 60_000, "milliseconds between 50 and 60000"));
  }
}
