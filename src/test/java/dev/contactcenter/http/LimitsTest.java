package dev.contactcenter.http;

import static dev.contactcenter.support.ProblemJson.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.NoBlockedEventLoops;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoBlockedEventLoops.class)
@DisplayName("Per-user call limits: 429 with Retry-After naming the limit; an admin overrides a user's limits")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LimitsTest {

  private TestApp app;
  private ApiClient api;
  private String admin;

  @BeforeAll
  void start() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("USER_CALLS_PER_SECOND", "3");
    env.put("USER_CONCURRENT_CALLS", "1000");
    env.put("USER_CALLS_PER_DAY", "6");
    env.put("SANDBOX_TIME_SCALE", "0");
    app = TestApp.start(env);
    api = app.client();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
  }

  @AfterAll
  void stop() throws Exception {
    app.close();
  }

  private String user(String name) {
    api.post("/api/v2/users", admin, new JsonObject().put("username", name).put("password", name + "-password-long"));
    return api.login(name, name + "-password-long");
  }

  private ApiClient.Response call(String token) {
    return api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15551234567"));
  }

  private ApiClient.Response patch(String username, JsonObject body) {
    return api.send(api.authorized("/api/v2/users/" + username, admin).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  @Test
  @DisplayName("calls per second, then calls per day, each refused with 429, Retry-After and the limit's name")
  void defaults() throws Exception {
    String alice = user("alice");
    int placed = 0;
    JsonObject refused = null;
    for (int i = 0; i < 10 && refused == null; i++) {
      ApiClient.Response response = call(alice);
      if (response.status() == 429) {
        refused = assertProblem(response, 429);
        assertThat(response.header("Retry-After")).isEqualTo("1");
      } else {
        assertThat(response.status()).isEqualTo(201);
        placed++;
      }
    }
    assertThat(placed).isEqualTo(3);
    assertThat(refused.getString("limit")).isEqualTo("calls_per_second");

    Thread.sleep(1100);
    for (int i = 0; i < 3; i++) {
      assertThat(call(alice).status()).isEqualTo(201);
    }
    Thread.sleep(1100);
    ApiClient.Response daily = call(alice);
    assertThat(assertProblem(daily, 429).getString("limit")).isEqualTo("calls_per_day");
    assertThat(Long.parseLong(daily.header("Retry-After"))).isBetween(80_000L, 86_400L);
    assertThat(app.databaseUrl()).isNotNull();
  }

  @Test
  @DisplayName("an admin's override applies at once: no concurrent call at all, then back to the default")
  void override() {
    String bob = user("bob");
    JsonObject changed = patch("bob", new JsonObject().put("limits",
        new JsonObject().put("concurrent_calls", 0))).json();
    assertThat(changed.getJsonObject("limits").getInteger("concurrent_calls")).isZero();
    assertThat(assertProblem(call(bob), 429).getString("limit")).isEqualTo("concurrent_calls");

    patch("bob", new JsonObject().put("limits", new JsonObject().putNull("concurrent_calls")));
    assertThat(call(bob).status()).isEqualTo(201);
  }

  @Test
  @DisplayName("a retry with a call's Idempotency-Key gets that call at every limit; a new key is refused, another body 422")
  void replayAtTheLimits() throws Exception {
    String carol = user("carol");
    JsonObject body = new JsonObject().put("phone_number", "+15551234567");
    Map<String, String> key = Map.of("Idempotency-Key", "carol-1");
    ApiClient.Response first = api.post("/api/v2/calls", carol, body, key);
    assertThat(first.status()).as(first.body()).isEqualTo(201);
    String callId = first.json().getString("call_id");
    for (String other : new String[] {"carol-2", "carol-3"}) {
      assertThat(api.post("/api/v2/calls", carol, body, Map.of("Idempotency-Key", other)).status()).isEqualTo(201);
    }

    // Calls per second used up (3): a new call is refused, the retry gets its call, another body with the key 422.
    assertThat(assertProblem(call(carol), 429).getString("limit")).isEqualTo("calls_per_second");
    assertReplayed(api.post("/api/v2/calls", carol, body, key), 201, callId);
    assertProblem(api.post("/api/v2/calls", carol, new JsonObject().put("phone_number", "+15557654321"), key), 422);

    // Calls per day (3 for carol, all made): the same, through the seed endpoint too.
    Thread.sleep(1100);
    patch("carol", new JsonObject().put("limits", new JsonObject().put("calls_per_day", 3)));
    assertThat(assertProblem(call(carol), 429).getString("limit")).isEqualTo("calls_per_day");
    assertThat(assertProblem(api.post("/api/v2/calls", carol, body, Map.of("Idempotency-Key", "carol-4")), 429)
        .getString("limit")).isEqualTo("calls_per_day");
    assertReplayed(api.post("/api/v2/calls", carol, body, key), 201, callId);
    Thread.sleep(1100);
    assertReplayed(api.post("/api/v2/interaction/+15551234567", carol, null, key), 200, callId);

    // No concurrent call allowed at all.
    Thread.sleep(1100);
    patch("carol", new JsonObject().put("limits", new JsonObject().putNull("calls_per_day").put("concurrent_calls", 0)));
    assertThat(assertProblem(call(carol), 429).getString("limit")).isEqualTo("concurrent_calls");
    assertReplayed(api.post("/api/v2/calls", carol, body, key), 201, callId);

    assertThat(TestDatabase.queryLong(app.databaseUrl(), "SELECT count(*) FROM calls WHERE owner = 'carol'"))
        .as("the refusals and retries stored nothing").isEqualTo(3);
  }

  private static void assertReplayed(ApiClient.Response response, int status, String callId) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.json().getString("call_id")).isEqualTo(callId);
    assertThat(response.json().getString("message")).isEqualTo("Call already initiated for this Idempotency-Key");
  }
}
