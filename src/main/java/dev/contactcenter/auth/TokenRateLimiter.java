package dev.contactcenter.auth;

import dev.contactcenter.bus.EventBusAddresses;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sliding-window limit of token requests per client address (e.g. 10 per 60 s). Shared by every HTTP verticle
 * instance of the process; each address's window is guarded by its own lock, held for a few nanoseconds.
 *
 * <p>{@linkplain #clusterWide Cluster-wide}, {@link #acquire(String)} counts in one PostgreSQL window per key instead
 * (by the persistence verticle), so attempts spread over several nodes meet the same limit as on one.
 */
public final class TokenRateLimiter {

  /** Most keys (client addresses, users) remembered at once. */
  static final int MAX_KEYS = 100_000;
  private static final String OVERFLOW_KEY = "(overflow)";
  private final int limit;
  private final long windowMillis;
  private final Map<String, Deque<Long>> windows = new ConcurrentHashMap<>();
  /** Null: this process's memory holds the windows. */
  private final EventBus shared;

  public TokenRateLimiter(int limit, int windowSeconds) {
    this(limit, windowSeconds, null);
  }

  private TokenRateLimiter(int limit, int windowSeconds, EventBus shared) {
    this.limit = limit;
    this.windowMillis = windowSeconds * 1000L;
    this.shared = shared;
  }

  /**
   * A limiter whose windows live in the database every node uses (one clock, one count, unaffected by a split of the
   * cluster's membership); a token request needs that database anyway to check the password.
   */
  public static TokenRateLimiter clusterWide(EventBus bus, int limit, int windowSeconds) {
    return new TokenRateLimiter(limit, windowSeconds, bus);
  }

  /**
   * Records a request of {@code client} against this limiter's own limit, in memory or cluster-wide; completes with
   * 0 when allowed, otherwise the seconds to wait. Fails (503) only when the cluster-wide window cannot be reached.
   */
  public Future<Long> acquire(String client) {
    if (shared == null) {
      return Future.succeededFuture(acquire(client, System.currentTimeMillis()));
    }
    JsonObject request = new JsonObject().put("key", "token:" + client).put("limit", limit)
        .put("window_seconds", (int) (windowMillis / 1000));
    return shared.<JsonObject>request(EventBusAddresses.RATE_ACQUIRE, request)
        .map(reply -> reply.body().getLong("wait_seconds"));
  }

  /** Records a request; returns 0 when allowed, otherwise the seconds to wait before the next one is. */
  public long acquire(String client, long nowMillis) {
    return acquire(client, limit, nowMillis);
  }

  /** As {@link #acquire(String, long)} with this key's own limit (e.g. a user's calls per second). */
  public long acquire(String client, int keyLimit, long nowMillis) {
    if (windows.size() >= MAX_KEYS && !windows.containsKey(client)) {
      evictIdle(nowMillis);
      if (windows.size() >= MAX_KEYS) {
        // Memory stays bounded even under a flood of distinct keys: the newcomers share one window.
        client = OVERFLOW_KEY;
      }
    }
    Deque<Long> window = windows.computeIfAbsent(client, k -> new ArrayDeque<>());
    synchronized (window) {
      while (!window.isEmpty() && window.peekFirst() <= nowMillis - windowMillis) {
        window.pollFirst();
      }
      if (window.size() >= keyLimit) {
        if (window.isEmpty()) {
          return Math.max(1, windowMillis / 1000);
        }
        long retryMillis = window.peekFirst() + windowMillis - nowMillis;
        return Math.max(1, (retryMillis + 999) / 1000);
      }
      window.addLast(nowMillis);
      return 0;
    }
  }

  /** Drops windows that have emptied, so memory stays bounded by recently active clients. */
  public void evictIdle(long nowMillis) {
    Iterator<Map.Entry<String, Deque<Long>>> it = windows.entrySet().iterator();
    while (it.hasNext()) {
      Deque<Long> window = it.next().getValue();
      synchronized (window) {
        if (window.isEmpty() || window.peekLast() <= nowMillis - windowMillis) {
          it.remove();
        }
      }
    }
  }
}
