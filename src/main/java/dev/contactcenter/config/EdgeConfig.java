package dev.contactcenter.config;

import dev.contactcenter.http.Cidr;
import java.util.List;

/** Reads the edge settings: each user's call limits (USER_CALLS_*) and the proxies whose headers are trusted. */
final class EdgeConfig {

  private EdgeConfig() {
  }

  static EdgeSettings read(ConfigValues v) {
    return new EdgeSettings(
        v.integer("USER_CALLS_PER_SECOND", n -> n >= 0 && n <= 1000, "between 0 and 1000"),
        v.integer("USER_CONCURRENT_CALLS", n -> n >= 0 && n <= 100_000, "between 0 and 100000"),
        v.integer("USER_CALLS_PER_DAY", n -> n >= 0 && n <= 10_000_000, "between 0 and 10000000"),
        trustedProxies(v.list("TRUSTED_PROXIES")));
  }

  /** CIDR blocks (or single addresses), each checked now so a typo fails at start. */
  private static List<String> trustedProxies(List<String> blocks) {
    for (String block : blocks) {
      if (!Cidr.isValid(block)) {
        throw new ConfigException("TRUSTED_PROXIES", "'" + block + "' is not a CIDR block like 10.0.0.0/8 or ::1/128");
      }
    }
    return blocks;
  }
}
