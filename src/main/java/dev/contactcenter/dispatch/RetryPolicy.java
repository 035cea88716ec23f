package dev.contactcenter.dispatch;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * When a call is tried again: {@code max_attempts} in all (1 = no retry), after an outcome in {@code on}, each attempt
 * {@code delay_seconds} after the previous one ended. Stored on the call; the database creates the next attempt.
 */
public record RetryPolicy(int maxAttempts, List<String> on, int delaySeconds) {

  public static final Set<String> OUTCOMES = Set.of("busy", "no_answer", "failed");
  public static final int MAX_ATTEMPTS = 20;
  public static final int MAX_DELAY_SECONDS = 86_400;

  public static final RetryPolicy NONE = new RetryPolicy(1, List.of("busy", "no_answer"), 60);

  public RetryPolicy {
    on = List.copyOf(on);
  }

  /** A policy checked from its parts; {@link Invalid} names the field. */
  public static RetryPolicy of(int maxAttempts, List<String> on, int delaySeconds) {
    if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS) {
      throw new Invalid("max_attempts", "must be 1 to " + MAX_ATTEMPTS);
    }
    if (delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
      throw new Invalid("delay_seconds", "must be 0 to " + MAX_DELAY_SECONDS);
    }
    for (String outcome : on) {
      if (!OUTCOMES.contains(outcome)) {
        throw new Invalid("on", "'" + outcome + "' is not one of busy, no_answer, failed");
      }
    }
    return new RetryPolicy(maxAttempts, new ArrayList<>(new LinkedHashSet<>(on)), delaySeconds);
  }

  /** A request's {@code retry} object over the defaults: members left out keep the default. */
  public RetryPolicy overriddenBy(JsonObject retry) {
    if (retry == null) {
      return this;
    }
    for (String member : retry.fieldNames()) {
      if (!Set.of("max_attempts", "on", "delay_seconds").contains(member)) {
        throw new Invalid(member, "unknown member (expected max_attempts, on, delay_seconds)");
      }
    }
    int attempts = integer(retry, "max_attempts", maxAttempts);
    int delay = integer(retry, "delay_seconds", delaySeconds);
    List<String> outcomes = on;
    if (retry.containsKey("on")) {
      if (!(retry.getValue("on") instanceof JsonArray list)) {
        throw new Invalid("on", "must be an array of busy, no_answer, failed");
      }
      outcomes = new ArrayList<>();
      for (Object item : list) {
        if (!(item instanceof String s)) {
          throw new Invalid("on", "must be an array of busy, no_answer, failed");
        }
        outcomes.add(s);
      }
    }
    return of(attempts, outcomes, delay);
  }

  private static int integer(JsonObject json, String member, int fallback) {
    Object value = json.getValue(member);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e9) {
      return n.intValue();
    }
    throw new Invalid(member, "must be a whole number");
  }

  public JsonObject toJson() {
    return new JsonObject().put("max_attempts", maxAttempts).put("on", new JsonArray(on))
        .put("delay_seconds", delaySeconds);
  }

  /** A retry policy a request or the configuration got wrong. */
  public static final class Invalid extends RuntimeException {
    private final String field;

    public Invalid(String field, String message) {
      super(field + " " + message);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }
}
