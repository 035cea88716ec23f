package dev.contactcenter.http;

import dev.contactcenter.auth.TokenRateLimiter;
import dev.contactcenter.config.EdgeSettings;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Per-user call limits (toll-fraud exposure with a real trunk): calls per second (in memory, shared by the HTTP
 * verticles), calls in progress and calls in the last 24 hours (checked by the database in the statement that
 * stores the call, against per-user counters locked until its commit, so concurrent creations cannot both take the
 * last slot). A user's own limits, set by an admin, override the configured defaults. A refusal is 429 with
 * Retry-After and names the limit.
 */
final class CallLimits {

  private final EdgeSettings defaults;
  private final TokenRateLimiter perSecond;
  private final UserDirectory users;
  /** The defaults the database applies where a user has no limit of their own (CALLS_CREATE's {@code limits}). */
  private final JsonObject databaseDefaults;

  CallLimits(EdgeSettings defaults, TokenRateLimiter perSecond, UserDirectory users) {
    this.defaults = defaults;
    this.perSecond = perSecond;
    this.users = users;
    this.databaseDefaults = new JsonObject().put("concurrent_calls", defaults.userConcurrentCalls())
        .put("calls_per_day", defaults.userCallsPerDay());
  }

  /**
   * Null when the user's calls per second allow one more call now (and it is counted); otherwise the refusal, as the
   * database gives its own: {@code {limit, limit_value, retry_after}}.
   */
  JsonObject rateRefusal(String username) {
    Integer own = users.callsPerSecond(username);
    int rate = own != null ? own : defaults.userCallsPerSecond();
    long wait = perSecond.acquire(username, rate, System.currentTimeMillis());
    return wait <= 0 ? null
        : new JsonObject().put("limit", "calls_per_second").put("limit_value", rate).put("retry_after", wait);
  }

  /** The default limits the database checks, for CALLS_CREATE's {@code limits} (a copy: the message is the caller's). */
  JsonObject databaseDefaults() {
    return databaseDefaults.copy();
  }

  /** Sends the 429 for a refusal of the database: {@code {limit, limit_value, retry_after}}. */
  static void refuse(RoutingContext rc, JsonObject refused) {
    refuse(rc, refused.getString("limit"), refused.getInteger("limit_value"), refused.getLong("retry_after", 1L));
  }

  private static void refuse(RoutingContext rc, String limit, int value, long retryAfterSeconds) {
    rc.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
    Problems.send(rc, 429, "limit " + limit + " (" + value + ") reached; retry in " + retryAfterSeconds + " s",
        new JsonObject().put("limit", limit).put("limit_value", value));
  }
}
