package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.USERS_USAGE;

import dev.contactcenter.auth.TokenRateLimiter;
import dev.contactcenter.config.EdgeSettings;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Per-user call limits (toll-fraud exposure with a real trunk): calls per second (in memory, shared by the HTTP
 * verticles), calls in progress and calls in the last 24 hours (counted in the database). A user's own limits,
 * set by an admin, override the configured defaults. A refusal is 429 with Retry-After and names the limit.
 * Concurrent requests of one user can each pass the database counts before either call is stored, so those two
 * may be exceeded by at most the calls admitted within the same moment, which the per-second limit bounds.
 */
final class CallLimits {

  private final EventBus bus;
  private final EdgeSettings defaults;
  private final TokenRateLimiter perSecond;

  CallLimits(EventBus bus, EdgeSettings defaults, TokenRateLimiter perSecond) {
    this.bus = bus;
    this.defaults = defaults;
    this.perSecond = perSecond;
  }

  /** True when the call may go ahead; otherwise the 429 has been sent. */
  Future<Boolean> admit(RoutingContext rc, String username) {
    return bus.<JsonObject>request(USERS_USAGE, new JsonObject().put("username", username)).map(reply -> {
      JsonObject usage = reply.body();
      JsonObject limits = usage.getJsonObject("limits", new JsonObject());
      int rate = limit(limits, "calls_per_second", defaults.userCallsPerSecond());
      int concurrent = limit(limits, "concurrent_calls", defaults.userConcurrentCalls());
      int daily = limit(limits, "calls_per_day", defaults.userCallsPerDay());
      if (usage.getLong("active", 0L) >= concurrent) {
        return refuse(rc, "concurrent_calls", concurrent, 5);
      }
      if (usage.getLong("today", 0L) >= daily) {
        return refuse(rc, "calls_per_day", daily, Math.max(1, usage.getLong("day_frees_in_seconds", 3600L)));
      }
      long wait = perSecond.acquire(username, rate, System.currentTimeMillis());
      if (wait > 0) {
        return refuse(rc, "calls_per_second", rate, wait);
      }
      return true;
    });
  }

  /** The user's own limit, or the default when none is set (the column is NULL). */
  private static int limit(JsonObject limits, String name, int fallback) {
    Integer own = limits.getInteger(name);
    return own != null ? own : fallback;
  }

  private static boolean refuse(RoutingContext rc, String limit, int value, long retryAfterSeconds) {
    rc.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
    Problems.send(rc, 429, "limit " + limit + " (" + value + ") reached; retry in " + retryAfterSeconds + " s",
        new JsonObject().put("limit", limit).put("limit_value", value));
    return false;
  }
}
