package dev.contactcenter.config;

import java.util.List;

/**
 * Settings of the HTTP edge: default per-user call limits (an admin overrides them per user) and the proxies whose
 * forwarding headers are believed.
 *
 * @param userCallsPerSecond calls one user may place per second ({@code USER_CALLS_PER_SECOND})
 * @param userConcurrentCalls calls of one user in progress at once ({@code USER_CONCURRENT_CALLS})
 * @param userCallsPerDay calls one user may place in any 24 hours ({@code USER_CALLS_PER_DAY})
 * @param trustedProxies CIDR blocks of reverse proxies ({@code TRUSTED_PROXIES}); empty: trust none
 */
public record EdgeSettings(int userCallsPerSecond, int userConcurrentCalls, int userCallsPerDay,
    List<String> trustedProxies) {

  public static EdgeSettings defaults() {
    return new EdgeSettings(5, 10, 1000, List.of());
  }
}
