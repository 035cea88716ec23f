package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.RealAsterisk;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ARI path against a real Asterisk 22 (scripts/asterisk.sh; test dialplan in conf/asterisk/test): every
 * outcome of the traces through the public API, restarts of the service and of Asterisk, 200 calls at once, and
 * the sandbox's conformance with Asterisk.
 */
@DisplayName("Calls through a real Asterisk 22")
@ExtendWith(TestAsterisk.Provisioned.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AsteriskCallsIT {

  /** Last digit → expected final status, timeline, hang-up cause, duration (null: not answered). */
  private static final Map<Character, Expected> MATRIX = new LinkedHashMap<>();

  static {
    MATRIX.put('0', new Expected("completed", List.of("dialing", "ringing", "answered", "completed"), 16, 2));
    MATRIX.put('1', new Expected("busy", List.of("dialing", "busy"), 17, null));
    MATRIX.put('2', new Expected("no_answer", List.of("dialing", "ringing", "no_answer"), 19, null));
    MATRIX.put('3', new Expected("failed", List.of("dialing", "failed"), 34, null));
    MATRIX.put('4', new Expected("failed", List.of("dialing", "failed"), 21, null));
    MATRIX.put('5', new Expected("completed", List.of("dialing", "ringing", "answered", "completed"), 16, 1));
    MATRIX.put('6', new Expected("failed", List.of("dialing", "failed"), 1, null));
  }

  record Expected(String status, List<String> timeline, int cause, Integer duration) {
  }

  private static final String METRICS_TOKEN = "metrics-token-for-tests-0123456789";

  @RegisterExtension
  static final RealAsterisk ASTERISK = new RealAsterisk("cc-it");

  private Map<String, String> env() {
    return ASTERISK.serviceEnv();
  }

  private static JsonObject options(char digit) {
    // Digit 2 never answers: a short originate timeout makes it a no_answer in 3 s.
    return digit == '2' ? new JsonObject().put("timeout", 3000) : new JsonObject();
  }

  @Test
  @DisplayName("every outcome of the traces ends in its right status, timeline, cause and duration")
  void outcomeMatrix() throws Exception {
    Map<String, String> env = env();
    env.put("METRICS_ENABLED", "true");
    env.put("METRICS_TOKEN", METRICS_TOKEN);
    try (TestApp app = TestApp.start(env)) {
      CallProbe calls = new CallProbe(app.client(), app.client().login("admin", TestApp.ADMIN_PASSWORD));
      awaitEventFilter(env);
      Map<Character, String> ids = new LinkedHashMap<>();
      MATRIX.keySet().forEach(digit -> ids.put(digit, calls.place("+1555000000" + digit, options(digit))));
      for (Map.Entry<Character, String> entry : ids.entrySet()) {
        Expected expected = MATRIX.get(entry.getKey());
        JsonObject call = calls.awaitFinal(entry.getValue(), Duration.ofSeconds(30));
        String label = "digit " + entry.getKey() + ": " + call.encode();
        assertThat(call.getString("status")).as(label).isEqualTo(expected.status());
        assertThat(call.getInteger("hangup_cause")).as(label).isEqualTo(expected.cause());
        assertThat(call.getString("hangup_cause_text")).as(label).isNotBlank();
        assertThat(calls.timeline(entry.getValue())).as(label).isEqualTo(expected.timeline());
        assertOrderedTimestamps(call, label);
        if (expected.duration() != null) {
          assertThat(call.getInteger("duration")).as(label).isBetween(expected.duration() - 1, expected.duration() + 1);
          // duration is whole seconds between the recorded answer and end (event timestamps, not processing time).
          long millis = Duration.between(Instant.parse(call.getString("answered_at")),
              Instant.parse(call.getString("ended_at"))).toMillis();
          assertThat(call.getInteger("duration")).as(label).isEqualTo((int) (millis / 1000));
        } else {
          assertThat(call.getString("answered_at")).as(label).isNull();
        }
        if ("failed".equals(expected.status())) {
          assertThat(call.getString("failure_reason")).as(label).isNotBlank();
        }
      }
      // Every outcome's events came through the filter: Asterisk sent no frame of a type the service drops.
      String metrics = app.client().get("/metrics", METRICS_TOKEN).body();
      assertThat(metrics).containsPattern("(?m)^contact_center_ari_events_ignored_total 0(\\.0)?$");
      assertThat(metrics).containsPattern("contact_center_ari_events_total\\{type=\"ChannelDestroyed\"} [1-9]");
    }
  }

  @Test
  @DisplayName("hang-up through the API: canceled while ringing, completed after answer, 409 once ended")
  void hangupThroughTheApi() throws Exception {
    try (TestApp app = TestApp.start(env())) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      String ringing = calls.place("+15550000002", new JsonObject().put("timeout", 30000));
      String answered = calls.place("+15550000000", new JsonObject().put("extension", "hold"));
      assertThat(calls.awaitStatus(ringing, "ringing", Duration.ofSeconds(10)).getString("status")).isEqualTo("ringing");
      assertThat(calls.awaitStatus(answered, "answered", Duration.ofSeconds(10)).getString("status")).isEqualTo("answered");

      assertThat(api.post("/api/v2/calls/" + ringing + "/hangup", token, null).status()).isEqualTo(202);
      assertThat(api.post("/api/v2/calls/" + answered + "/hangup", token, null).status()).isEqualTo(202);

      JsonObject canceled = calls.awaitFinal(ringing, Duration.ofSeconds(10));
      assertThat(canceled.getString("status")).isEqualTo("canceled");
      assertThat(calls.timeline(ringing)).containsExactly("dialing", "ringing", "canceled");
      JsonObject completed = calls.awaitFinal(answered, Duration.ofSeconds(10));
      assertThat(completed.getString("status")).isEqualTo("completed");
      assertThat(calls.timeline(answered)).containsExactly("dialing", "ringing", "answered", "completed");

      ApiClient.Response again = api.post("/api/v2/calls/" + answered + "/hangup", token, null);
      assertThat(again.status()).isEqualTo(409);
      assertThat(again.header("Content-Type")).startsWith("application/problem+json");
    }
  }

  @Test
  @DisplayName("a missing dialplan context fails the call; a refused endpoint answers 502 with the stored call id")
  void missingContextAndRefusedEndpoint() throws Exception {
    Map<String, String> missingContext = env();
    missingContext.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@nonexistent-context/n");
    try (TestApp app = TestApp.start(missingContext)) {
      CallProbe calls = new CallProbe(app.client(), app.client().login("admin", TestApp.ADMIN_PASSWORD));
      String id = calls.place("+15550000000", null);
      JsonObject call = calls.awaitFinal(id, Duration.ofSeconds(15));
      assertThat(call.getString("status")).isEqualTo("failed");
      assertThat(call.getString("failure_reason")).contains("ARI_ENDPOINT_TEMPLATE");
      assertThat(calls.timeline(id)).containsExactly("dialing", "failed");
    }
    Map<String, String> refused = env();
    refused.put("ARI_ENDPOINT_TEMPLATE", "SIP/{digits}@nowhere");
    try (TestApp app = TestApp.start(refused)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      ApiClient.Response r = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000000"));
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("Content-Type")).startsWith("application/problem+json");
      String id = r.json().getString("call_id");
      assertThat(id).isNotBlank();
      JsonObject call = new CallProbe(api, token).call(id);
      assertThat(call.getString("status")).isEqualTo("failed");
      assertThat(call.getString("failure_reason")).contains("Allocation failed");
    }
  }

  @Test
  @DisplayName("a restart of the service with calls in flight leaves every call in its right final state")
  void serviceRestartWithCallsInFlight() throws Exception {
    Map<String, String> env = env();
    String held;
    String unanswered;
    String shortCall;
    TestApp first = TestApp.start(env);
    try {
      CallProbe calls = new CallProbe(first.client(), first.client().login("admin", TestApp.ADMIN_PASSWORD));
      held = calls.place("+15550000000", new JsonObject().put("extension", "hold"));
      unanswered = calls.place("+15550000002", new JsonObject().put("timeout", 12000));
      shortCall = calls.place("+15550000005", null);
      assertThat(calls.awaitStatus(held, "answered", Duration.ofSeconds(10)).getString("status")).isEqualTo("answered");
      assertThat(calls.awaitStatus(shortCall, "answered", Duration.ofSeconds(10)).getString("status")).isEqualTo("answered");
      assertThat(calls.call(unanswered).getString("status")).isEqualTo("ringing");
    } finally {
      first.close();
    }
    Thread.sleep(2500); // the short call ends while no service is listening
    try (TestApp second = TestApp.start(env)) {
      ApiClient api = second.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      JsonObject settled = calls.awaitFinal(shortCall, Duration.ofSeconds(15));
      assertThat(settled.getString("status")).isEqualTo("completed");

      assertThat(calls.call(held).getString("status")).isEqualTo("answered");
      assertThat(api.post("/api/v2/calls/" + held + "/hangup", token, null).status()).isEqualTo(202);
      assertThat(calls.awaitFinal(held, Duration.ofSeconds(10)).getString("status")).isEqualTo("completed");

      JsonObject noAnswer = calls.awaitFinal(unanswered, Duration.ofSeconds(20));
      assertThat(noAnswer.getString("status")).isEqualTo("no_answer");
      assertThat(noAnswer.getInteger("hangup_cause")).isEqualTo(19);
      assertThat(TestDatabase.queryLong(second.databaseUrl(),
          "SELECT count(*) FROM calls WHERE status IN ('pending','dialing','ringing','answered')")).isZero();
    }
  }

  @Test
  @DisplayName("Asterisk going away and coming back: health 503 then 200, calls refused with 503, then work again")
  void asteriskAwayAndBack() throws Exception {
    Map<String, String> env = env();
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      assertThat(api.get("/health", null).status()).isEqualTo(200);

      ASTERISK.asterisk().stop();
      awaitHealth(api, 503, Duration.ofSeconds(10));
      ApiClient.Response refused = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000000"));
      assertThat(refused.status()).isEqualTo(503);
      String failedId = refused.json().getString("call_id");
      assertThat(calls.call(failedId).getString("status")).isEqualTo("failed");

      ASTERISK.asterisk().start();
      awaitHealth(api, 200, Duration.ofSeconds(30));
      String id = calls.place("+15550000000", null);
      assertThat(calls.awaitFinal(id, Duration.ofSeconds(15)).getString("status")).isEqualTo("completed");
      // A restarted Asterisk has forgotten the application's event filter: the service sets it again.
      awaitEventFilter(env);
    }
  }

  @Test
  @DisplayName("200 calls originated at once all reach their right final state and none stays active")
  void twoHundredCallsAtOnce() throws Exception {
    try (TestApp app = TestApp.start(env())) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      ExecutorService pool = Executors.newFixedThreadPool(100);
      List<Future<String>> placed = new ArrayList<>();
      List<Character> digits = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        char digit = (char) ('0' + i % 7);
        String number = String.format("+1555%06d%c", i, digit);
        digits.add(digit);
        placed.add(pool.submit(() -> calls.place(number, new JsonObject().put("timeout", 4000))));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> f : placed) {
        ids.add(f.get(60, TimeUnit.SECONDS));
      }
      pool.shutdown();
      Map<String, Integer> byStatus = new java.util.TreeMap<>();
      for (int i = 0; i < ids.size(); i++) {
        JsonObject call = calls.awaitFinal(ids.get(i), Duration.ofSeconds(60));
        byStatus.merge(call.getString("status"), 1, Integer::sum);
        assertThat(call.getString("status")).as("call %d (digit %s): %s", i, digits.get(i), call.encode())
            .isEqualTo(MATRIX.get(digits.get(i)).status());
      }
      System.out.println("200 calls at once, final statuses: " + byStatus);
      assertThat(TestDatabase.queryLong(app.databaseUrl(),
          "SELECT count(*) FROM calls WHERE status IN ('pending','dialing','ringing','answered')")).isZero();
    }
  }

  @Test
  @DisplayName("the sandbox produces the same status timelines as the real Asterisk")
  void sandboxConformsToAsterisk() throws Exception {
    Map<Character, List<String>> real = timelines(env());
    Map<Character, List<String>> simulated = timelines(TestApp.defaultEnv());
    assertThat(simulated).isEqualTo(real);
    assertThat(real.get('0')).isEqualTo(MATRIX.get('0').timeline());
  }

  private Map<Character, List<String>> timelines(Map<String, String> env) throws Exception {
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      Map<Character, String> ids = new LinkedHashMap<>();
      MATRIX.keySet().forEach(digit -> ids.put(digit, calls.place("+1555000001" + digit, options(digit))));
      String hungUp = calls.place("+15550000012", new JsonObject().put("timeout", 30000));
      calls.awaitStatus(hungUp, "ringing", Duration.ofSeconds(10));
      api.post("/api/v2/calls/" + hungUp + "/hangup", token, null);
      Map<Character, List<String>> result = new LinkedHashMap<>();
      for (Map.Entry<Character, String> entry : ids.entrySet()) {
        calls.awaitFinal(entry.getValue(), Duration.ofSeconds(30));
        result.put(entry.getKey(), calls.timeline(entry.getValue()));
      }
      calls.awaitFinal(hungUp, Duration.ofSeconds(10));
      result.put('h', calls.timeline(hungUp));
      return result;
    }
  }

  /**
   * Waits until Asterisk reports the service's ARI application with exactly the event types the call path reads
   * as its allowed list.
   */
  private static void awaitEventFilter(Map<String, String> env) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String credentials = Base64.getEncoder().encodeToString(
        (env.get("ARI_USERNAME") + ":" + env.get("ARI_PASSWORD")).getBytes(StandardCharsets.UTF_8));
    HttpRequest get = HttpRequest.newBuilder(
            URI.create(env.get("ARI_HTTP_URL") + "/ari/applications/" + env.get("ARI_APP")))
        .header("Authorization", "Basic " + credentials).build();
    List<String> expected = List.of("ApplicationReplaced", "ChannelDestroyed", "ChannelStateChange", "Dial",
        "StasisStart");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    String last;
    do {
      HttpResponse<String> answer = http.send(get, HttpResponse.BodyHandlers.ofString());
      last = answer.statusCode() + " " + answer.body();
      if (answer.statusCode() == 200) {
        JsonObject application = new JsonObject(answer.body());
        List<String> allowed = application.getJsonArray("events_allowed").stream()
            .map(entry -> ((JsonObject) entry).getString("type")).sorted().toList();
        if (allowed.equals(expected)) {
          assertThat(application.getJsonArray("events_disallowed")).isEmpty();
          return;
        }
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("Asterisk's application never got the event filter " + expected + ": " + last);
  }

  private static void awaitHealth(ApiClient api, int status, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int last;
    do {
      last = api.get("/health", null).status();
      if (last == status) {
        return;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("/health stayed " + last + ", expected " + status + " within " + timeout);
  }

  private static void assertOrderedTimestamps(JsonObject call, String label) {
    List<Instant> times = new ArrayList<>();
    for (String field : List.of("dialed_at", "ringing_at", "answered_at", "ended_at")) {
      String value = call.getString(field);
      if (value != null) {
        times.add(Instant.parse(value));
      }
    }
    assertThat(times).as(label).isSorted();
  }
}
