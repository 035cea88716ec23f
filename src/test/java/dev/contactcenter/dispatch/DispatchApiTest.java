package dev.contactcenter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Admission control, the queue, cancel, expiry and retries through the API, against the ARI sandbox (the last digit
 * decides the callee: 0 answers, 1 busy, 2 no answer). The server allows 5 calls per second and 4 at once.
 */
@DisplayName("Dispatch: queued calls, pacing, cancel, expiry, retries (sandbox)")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DispatchApiTest {

  private static final int CPS = 5;
  private TestApp app;
  private ApiClient api;
  private String admin;

  @BeforeAll
  void start() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("ARI_MAX_CALLS_PER_SECOND", String.valueOf(CPS));
    env.put("ARI_MAX_CONCURRENT_CALLS", "4");
    env.put("DISPATCH_POLL_MS", "200");
    app = TestApp.start(env);
    api = app.client();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  @Test
  @DisplayName("a burst over the rate is queued at once, then dialled no faster than the limit, and all end right")
  void burstIsPaced() throws Exception {
    String user = newUser("burst");
    int n = 20;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    List<Future<ApiClient.Response>> answers = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < n; i++) {
      answers.add(pool.submit(() -> api.post("/api/v2/calls", user, new JsonObject().put("phone_number", "+15550001001"))));
    }
    List<String> ids = new ArrayList<>();
    int queued = 0;
    for (Future<ApiClient.Response> answer : answers) {
      ApiClient.Response created = answer.get();
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      JsonObject body = created.json();
      ids.add(body.getString("call_id"));
      if ("queued".equals(body.getString("status"))) {
        queued++;
        assertThat(body.getInteger("queue_position")).isPositive();
        assertThat(body.getString("message")).contains("queued");
        // One slot of the rate per call ahead of it, from the moment it was answered.
        Instant estimate = Instant.parse(body.getString("estimated_start_at"));
        Instant createdAt = Instant.parse(body.getString("created_at"));
        long expectedMs = body.getInteger("queue_position") * 1_000L / CPS;
        assertThat(Duration.between(createdAt, estimate).toMillis()).as(body.encode())
            .isBetween(expectedMs - 1_000, expectedMs + 1_000);
      } else {
        assertThat(body.getString("status")).isEqualTo("dialing");
      }
    }
    pool.shutdown();
    // Answered at once although most could not be dialled yet.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    assertThat(queued).isGreaterThanOrEqualTo(n - CPS);
    for (String id : ids) {
      assertThat(Calls.awaitFinal(api, user, id, Duration.ofSeconds(30)).getString("status")).isEqualTo("busy");
    }
    List<Instant> dialed = instants("SELECT dialed_at FROM calls WHERE owner = '" + ownerOf(user) + "' ORDER BY 1");
    assertThat(dialed).hasSize(n);
    assertThat(maxInAnySecond(dialed)).as("dial times %s", dialed).isLessThanOrEqualTo(CPS);
    // Claimed ahead of their slots, several in one statement (one now() for all): the claim's round trip is not paid
    // once per paced dial.
    assertThat(count("SELECT count(*) - count(DISTINCT claimed_at) FROM calls WHERE owner = '" + ownerOf(user)
        + "' AND claimed_at IS NOT NULL")).as("calls claimed together with another").isPositive();
    String queuedId = ids.get(ids.size() - 1);
    List<String> timeline = Calls.timeline(api, user, firstQueued(user));
    assertThat(timeline).startsWith("queued→pending", "pending→dialing");
    assertThat(queuedId).isNotNull();
  }

  @Test
  @DisplayName("a queued call hung up is canceled, never dialled; a dialled call still hangs up as before")
  void cancelQueued() {
    String user = newUser("cancel");
    // Four calls that ring 10 s fill the concurrency limit: the fifth waits in the queue.
    List<String> ringing = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ringing.add(Calls.place(api, user, new JsonObject().put("phone_number", "+15550002002").put("timeout", 10_000)));
    }
    JsonObject waiting = new JsonObject().put("phone_number", "+15550002000");
    Map<String, String> key = Map.of("Idempotency-Key", "queued-retry");
    ApiClient.Response created = api.post("/api/v2/calls", user, waiting, key);
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().getString("status")).isEqualTo("queued");
    int position = created.json().getInteger("queue_position");
    String id = created.json().getString("call_id");
    // A retry of the queued call learns the same call and its place, as the first answer told it.
    ApiClient.Response retried = api.post("/api/v2/calls", user, waiting, key);
    assertThat(retried.status()).as(retried.body()).isEqualTo(201);
    assertThat(retried.json().getString("call_id")).isEqualTo(id);
    assertThat(retried.json().getString("status")).isEqualTo("queued");
    assertThat(retried.json().getInteger("queue_position")).as(retried.body()).isBetween(1, position);
    assertThat(retried.json().getString("estimated_start_at")).as(retried.body()).isNotNull();

    ApiClient.Response hungUp = api.post("/api/v2/calls/" + id + "/hangup", user, null);
    assertThat(hungUp.status()).as(hungUp.body()).isEqualTo(202);
    JsonObject call = Calls.get(api, user, id);
    assertThat(call.getString("status")).isEqualTo("canceled");
    assertThat(call.getString("dialed_at")).isNull();
    assertThat(call.getString("channel")).isNull();
    assertThat(Calls.timeline(api, user, id)).containsExactly("queued→canceled");
    // A second hang-up: the call is over.
    assertThat(api.post("/api/v2/calls/" + id + "/hangup", user, null).status()).isEqualTo(409);

    for (String r : ringing) {
      assertThat(api.post("/api/v2/calls/" + r + "/hangup", user, null).status()).isEqualTo(202);
    }
    for (String r : ringing) {
      Calls.awaitFinal(api, user, r, Duration.ofSeconds(15));
    }
    assertThat(Calls.get(api, user, id).getString("status")).as("never dialled later").isEqualTo("canceled");
  }

  @Test
  @DisplayName("a call still queued after its max_queue_seconds ends failed with the reason")
  void expiry() {
    String user = newUser("expiry");
    List<String> ringing = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ringing.add(Calls.place(api, user, new JsonObject().put("phone_number", "+15550003002").put("timeout", 6_000)));
    }
    ApiClient.Response created = api.post("/api/v2/calls", user,
        new JsonObject().put("phone_number", "+15550003000").put("max_queue_seconds", 1));
    assertThat(created.json().getString("status")).isEqualTo("queued");
    String id = created.json().getString("call_id");
    JsonObject call = Calls.awaitFinal(api, user, id, Duration.ofSeconds(5));
    assertThat(call.getString("status")).isEqualTo("failed");
    assertThat(call.getString("failure_reason")).contains("max_queue_seconds");
    assertThat(call.getString("dialed_at")).isNull();
    assertThat(call.getInteger("max_queue_seconds")).isEqualTo(1);
    for (String r : ringing) {
      Calls.awaitFinal(api, user, r, Duration.ofSeconds(15));
    }
  }

  @Test
  @DisplayName("busy with max_attempts=3, delay 1 s: exactly 3 attempts, about 1 s apart, linked, shown on the first")
  void retriesBusy() throws Exception {
    String user = newUser("retry");
    JsonObject body = new JsonObject().put("phone_number", "+15550004001")
        .put("retry", new JsonObject().put("max_attempts", 3).put("on", new JsonArray().add("busy")).put("delay_seconds", 1));
    ApiClient.Response created = api.post("/api/v2/calls", user, body, Map.of("Idempotency-Key", "retry-key-1"));
    assertThat(created.status()).isEqualTo(201);
    String first = created.json().getString("call_id");
    JsonObject firstCall = Calls.await(api, user, first, Duration.ofSeconds(20),
        c -> c.getJsonArray("attempts") != null && c.getJsonArray("attempts").size() == 2
            && Calls.FINAL.contains(c.getJsonArray("attempts").getJsonObject(1).getString("status")), "3 attempts ended");
    assertThat(firstCall.getString("status")).isEqualTo("busy");
    assertThat(firstCall.getInteger("attempt_number")).isEqualTo(1);
    JsonArray attempts = firstCall.getJsonArray("attempts");
    String second = attempts.getJsonObject(0).getString("call_id");
    String third = attempts.getJsonObject(1).getString("call_id");
    JsonObject secondCall = Calls.get(api, user, second);
    JsonObject thirdCall = Calls.get(api, user, third);
    assertThat(secondCall.getInteger("attempt_number")).isEqualTo(2);
    assertThat(secondCall.getString("previous_attempt_id")).isEqualTo(first);
    assertThat(secondCall.getString("first_attempt_id")).isEqualTo(first);
    assertThat(thirdCall.getInteger("attempt_number")).isEqualTo(3);
    assertThat(thirdCall.getString("previous_attempt_id")).isEqualTo(second);
    assertThat(thirdCall.getString("status")).isEqualTo("busy");
    gap(firstCall, secondCall, 1.0);
    gap(secondCall, thirdCall, 1.0);
    // No fourth attempt, even after its delay would have passed.
    Thread.sleep(1_500);
    assertThat(count("SELECT count(*) FROM calls WHERE owner = '" + ownerOf(user) + "'")).isEqualTo(3);
    // The idempotency key still names the first attempt.
    ApiClient.Response again = api.post("/api/v2/calls", user, body, Map.of("Idempotency-Key", "retry-key-1"));
    assertThat(again.json().getString("call_id")).isEqualTo(first);
    // The same key with another retry policy or queue time is another request: 422, nothing stored.
    JsonObject otherRetry = body.copy().put("retry", body.getJsonObject("retry").copy().put("max_attempts", 2));
    assertThat(api.post("/api/v2/calls", user, otherRetry, Map.of("Idempotency-Key", "retry-key-1")).status())
        .isEqualTo(422);
    assertThat(api.post("/api/v2/calls", user, body.copy().put("max_queue_seconds", 60),
        Map.of("Idempotency-Key", "retry-key-1")).status()).isEqualTo(422);
    assertThat(count("SELECT count(*) FROM calls WHERE owner = '" + ownerOf(user) + "'")).isEqualTo(3);
  }

  @Test
  @DisplayName("GET /api/v2/servers (admins): the server's owner, limits, calls in progress and queue; 403 for users")
  void servers() {
    ApiClient.Response listed = api.get("/api/v2/servers", admin);
    assertThat(listed.status()).as(listed.body()).isEqualTo(200);
    JsonObject server = listed.json().getJsonArray("items").getJsonObject(0);
    assertThat(server.getString("name")).isEqualTo("default");
    assertThat(server.getString("owner_node")).isNotBlank();
    assertThat(server.getJsonObject("limits")).isEqualTo(new JsonObject().put("max_calls_per_second", CPS)
        .put("max_concurrent_calls", 4).put("max_queue_seconds", 0));
    assertThat(server.getLong("queued_calls")).isNotNegative();
    assertThat(api.get("/api/v2/servers", newUser("servers")).status()).isEqualTo(403);
  }

  @Test
  @DisplayName("a retry policy naming an unknown outcome is a 400 and stores nothing")
  void invalidRetry() {
    String user = newUser("badretry");
    ApiClient.Response refused = api.post("/api/v2/calls", user, new JsonObject().put("phone_number", "+15550005000")
        .put("retry", new JsonObject().put("max_attempts", 3).put("on", new JsonArray().add("answered"))));
    assertThat(refused.status()).isEqualTo(400);
    ApiClient.Response tooMany = api.post("/api/v2/calls", user, new JsonObject().put("phone_number", "+15550005000")
        .put("retry", new JsonObject().put("max_attempts", 50)));
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(count("SELECT count(*) FROM calls WHERE owner = '" + ownerOf(user) + "'")).isZero();
  }

  private static void gap(JsonObject previous, JsonObject next, double seconds) {
    Instant ended = Instant.parse(previous.getString("ended_at"));
    Instant dialed = Instant.parse(next.getString("dialed_at"));
    double gap = Duration.between(ended, dialed).toMillis() / 1000.0;
    assertThat(gap).as("from the end of attempt %s to the dial of the next", previous.getInteger("attempt_number"))
        .isBetween(seconds - 0.1, seconds + 0.5);
  }

  private String firstQueued(String user) {
    return string("SELECT id::text FROM calls WHERE owner = '" + ownerOf(user) + "' AND claimed_at IS NOT NULL LIMIT 1");
  }

  private final Map<String, String> usernames = new java.util.concurrent.ConcurrentHashMap<>();

  /** A fresh user's token; {@link #ownerOf(String)} gives its name back. */
  private String newUser(String prefix) {
    String name = Calls.uniqueName(prefix);
    String token = Calls.createUser(api, admin, name);
    usernames.put(token, name);
    return token;
  }

  private String ownerOf(String token) {
    return usernames.get(token);
  }

  static int maxInAnySecond(List<Instant> sorted) {
    int max = 0;
    int from = 0;
    for (int to = 0; to < sorted.size(); to++) {
      while (Duration.between(sorted.get(from), sorted.get(to)).toMillis() >= 1000) {
        from++;
      }
      max = Math.max(max, to - from + 1);
    }
    return max;
  }

  private Connection connect() throws Exception {
    DatabaseUrl url = DatabaseUrl.parse(app.databaseUrl());
    return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
  }

  private List<Instant> instants(String sql) throws Exception {
    List<Instant> values = new ArrayList<>();
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getTimestamp(1).toInstant());
      }
    }
    return values;
  }

  private long count(String sql) {
    return dev.contactcenter.support.TestDatabase.queryLong(app.databaseUrl(), sql);
  }

  private String string(String sql) {
    try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
