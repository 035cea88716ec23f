package dev.contactcenter.auth;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sliding-window limit of token requests per client address (e.g. 10 per 60 s). Shared by every HTTP verticle
 * instance of the process; each address's window is guarded by its own lock, held for a few nanoseconds.
 */
public final class TokenRateLimiter {

  /** Most keys (client addresses, users) remembered at once. */
  static final int MAX_KEYS = 100_000;
  private static final String OVERFLOW_KEY = "(overflow)";
  private final int limit;
  private final long windowMillis;
  private final Map<String, Deque<Long>> windows = new ConcurrentHashMap<>();

  public TokenRateLimiter(int limit, int windowSeconds) {
    this.limit = limit;
    this.windowMillis = windowSeconds * 1000L;
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
