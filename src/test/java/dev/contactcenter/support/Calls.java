package dev.contactcenter.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Helpers for tests that place calls through the API: users, polling a call until it reaches a state (with a
 * deadline, never a fixed sleep), reading a call's timeline.
 */
public final class Calls {

  public static final Set<String> FINAL = Set.of("completed", "failed", "busy", "no_answer", "canceled");
  private static final AtomicInteger USERS = new AtomicInteger();
  private static final long POLL_MS = 50;

  private Calls() {
  }

  /** A username no other test of this JVM uses. */
  public static String uniqueName(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid() + "-" + USERS.incrementAndGet();
  }

  /** Creates a fresh user through the admin API and returns a token for them. */
  public static String newUser(ApiClient api, String adminToken, String prefix) {
    return createUser(api, adminToken, uniqueName(prefix));
  }

  /** Creates the user through the admin API and returns a token for them. */
  public static String createUser(ApiClient api, String adminToken, String username) {
    String password = "password-of-" + username;
    ApiClient.Response created = api.post("/api/v2/users", adminToken,
        new JsonObject().put("username", username).put("password", password));
    if (created.status() != 201) {
      throw new AssertionError("creating user " + username + " failed: " + created.status() + " " + created.body());
    }
    return api.login(username, password);
  }

  /** Places a call with POST /calls and returns its id, failing unless the service answered 201. */
  public static String place(ApiClient api, String token, JsonObject body) {
    ApiClient.Response created = api.post("/api/v2/calls", token, body);
    if (created.status() != 201) {
      throw new AssertionError("POST /calls " + body.encode() + ": " + created.status() + " " + created.body());
    }
    return created.json().getString("call_id");
  }

  public static JsonObject get(ApiClient api, String token, String callId) {
    ApiClient.Response response = api.get("/api/v2/calls/" + callId, token);
    if (response.status() != 200) {
      throw new AssertionError("GET call " + callId + ": " + response.status() + " " + response.body());
    }
    return response.json();
  }

  /** Polls the call until {@code until} holds; fails with the last state seen when the deadline passes. */
  public static JsonObject await(ApiClient api, String token, String callId, Duration within,
      Predicate<JsonObject> until, String what) {
    long deadline = System.nanoTime() + within.toNanos();
    JsonObject call = get(api, token, callId);
    while (!until.test(call)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("call " + callId + " did not become " + what + " within " + within + "; last seen: "
            + call.encodePrettily());
      }
      sleep(POLL_MS);
      call = get(api, token, callId);
    }
    return call;
  }

  public static JsonObject awaitStatus(ApiClient api, String token, String callId, String status, Duration within) {
    return await(api, token, callId, within, call -> status.equals(call.getString("status")), status);
  }

  public static JsonObject awaitFinal(ApiClient api, String token, String callId, Duration within) {
    return await(api, token, callId, within, call -> FINAL.contains(call.getString("status")), "final");
  }

  /** The call's timeline as "from→to" strings, oldest first. */
  public static List<String> timeline(ApiClient api, String token, String callId) {
    ApiClient.Response response = api.get("/api/v2/calls/" + callId + "/events", token);
    if (response.status() != 200) {
      throw new AssertionError("GET events of " + callId + ": " + response.status() + " " + response.body());
    }
    JsonArray events = response.json().getJsonArray("events");
    return events.stream().map(JsonObject.class::cast)
        .map(e -> e.getString("from_status") + "→" + e.getString("to_status")).toList();
  }

  /** While the database is down, a call read and /health both answer 503 with Retry-After (within 5 s). */
  public static void awaitDatabaseUnavailable(ApiClient api, String token, String callId) {
    eventually(Duration.ofSeconds(5), () -> {
      ApiClient.Response read = api.get("/api/v2/calls/" + callId, token);
      assertThat(read.status()).as(read.body()).isEqualTo(503);
      assertThat(read.header("Retry-After")).isNotBlank();
      ApiClient.Response health = api.get("/health", null);
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.header("Retry-After")).isNotBlank();
    });
  }

  /** Repeats {@code check} until it stops throwing, or rethrows its last failure after {@code within}. */
  public static void eventually(Duration within, Runnable check) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      try {
        check.run();
        return;
      } catch (AssertionError e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      sleep(POLL_MS);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
