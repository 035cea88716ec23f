package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What happens to calls in flight when the service or Asterisk goes away. The "Asterisk" is an ARI sandbox the
 * test owns, in its own Vert.x, so it outlives a restart of the service (calls keep running in it, and their
 * events are lost while nobody listens). Ringing takes 3.5 s here, so a call can be caught ringing when the
 * service stops and be answered while it is down.
 */
@DisplayName("Reconciliation of calls in flight across restarts")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReconciliationTest {

  private static final SandboxTiming TIMING = new SandboxTiming(3_500, 2_000, 120_000, 1_000, 30_000, 1.0);
  private static final Duration WITHIN = Duration.ofSeconds(15);

  private final HttpClient http = HttpClient.newHttpClient();
  private StandaloneAri ari;
  private Map<String, String> env;
  private TestApp app;

  @BeforeEach
  void startAsterisk() {
    ari = StandaloneAri.start(StandaloneAri.USER, "reconcile-secret", TIMING);
    env = ari.serviceEnv();
    // A stop waits for ringing calls to reach their IVR for the grace less ~1 s (here 1 s): shorter than the 3.5 s
    // ring, so a call ringing at the stop is still answered while the service is down (as after a longer ring).
    env.put("SHUTDOWN_GRACE_SECONDS", "2");
  }

  @AfterEach
  void stopAll() throws Exception {
    if (app != null) {
      app.close();
    }
    if (ari != null) {
      ari.close();
    }
  }

  /** Starts the service (again) on the same database and ARI, and waits until it follows ARI events. */
  private ApiClient startService() throws Exception {
    app = TestApp.start(env);
    ApiClient api = app.client();
    Calls.eventually(Duration.ofSeconds(10), () -> assertThat(api.get("/health", null).status()).isEqualTo(200));
    return api;
  }

  /** The channels the "Asterisk" has, by id, with their state. */
  private Map<String, String> asteriskChannels() {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(ari.url() + "/ari/channels"))
          .header("Authorization", ari.basicAuth()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return new JsonArray(response.body()).stream().map(JsonObject.class::cast)
          .collect(Collectors.toMap(c -> c.getString("id"), c -> c.getString("state")));
    } catch (Exception e) {
      throw new AssertionError("listing ARI channels failed", e);
    }
  }

  private static String place(ApiClient api, String token, JsonObject body) {
    return Calls.place(api, token, body);
  }

  private static JsonObject number(String phone) {
    return new JsonObject().put("phone_number", phone);
  }

  private long activeCalls() {
    return TestDatabase.queryLong(app.databaseUrl(),
        "SELECT count(*) FROM calls WHERE status IN " + dev.contactcenter.calls.CallState.activeSqlList());
  }

  private static List<String> sources(ApiClient api, String token, String callId) {
    return api.get("/api/v2/calls/" + callId + "/events", token).json().getJsonArray("events").stream()
        .map(e -> ((JsonObject) e).getString("source")).toList();
  }

  @Test
  @DisplayName("after a restart, live calls are followed to their real end and ended ones are settled")
  void restartOfTheService() throws Exception {
    ApiClient api = startService();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);

    String holding = place(api, admin, number("+15550000800").put("extension", "hold"));
    String endsAnswered = place(api, admin, number("+15550000810"));
    String stillRinging = place(api, admin, number("+15550000802").put("timeout", 18_000));
    String pendingId = UUID.randomUUID().toString();
    app.app().vertx().eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject()
        .put("call_id", pendingId).put("owner", "admin").put("phone_number", "+15550000820")
        .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30_000)
        .put("variables", new JsonObject()).put("request_hash", "never-originated")).await();
    Calls.awaitStatus(api, admin, stillRinging, "ringing", WITHIN);
    Calls.awaitStatus(api, admin, holding, "answered", WITHIN);
    Calls.awaitStatus(api, admin, endsAnswered, "answered", WITHIN);
    // Both ringing when the service stops: one is answered (into our Stasis app) while nobody listens, the
    // other reaches its 5 s timeout while nobody listens.
    String answeredWhileDown = place(api, admin, number("+15550000830"));
    String endsRinging = place(api, admin, number("+15550000812").put("timeout", 5_000));
    Calls.awaitStatus(api, admin, answeredWhileDown, "ringing", WITHIN);
    Calls.awaitStatus(api, admin, endsRinging, "ringing", WITHIN);

    app.close();
    app = null;
    Calls.eventually(WITHIN, () -> {
      Map<String, String> channels = asteriskChannels();
      assertThat(channels).as("ended while the service was down").doesNotContainKeys(endsRinging, endsAnswered);
      assertThat(channels).containsEntry(answeredWhileDown, "Up").containsEntry(holding, "Up")
          .containsEntry(stillRinging, "Ringing");
    });

    api = startService();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    ApiClient again = api;
    String token = admin;

    // Ended while unobserved: settled by the reconciler, never left active.
    JsonObject settledAnswered = Calls.awaitFinal(again, token, endsAnswered, WITHIN);
    assertThat(settledAnswered.getString("status")).isEqualTo("completed");
    assertThat(settledAnswered.getString("ended_at")).isNotNull();
    assertThat(sources(again, token, endsAnswered)).last().isEqualTo("reconciler");
    JsonObject settledRinging = Calls.awaitFinal(again, token, endsRinging, WITHIN);
    assertThat(settledRinging.getString("status")).isEqualTo("failed");
    assertThat(settledRinging.getString("failure_reason")).isNotBlank();
    assertThat(sources(again, token, endsRinging)).last().isEqualTo("reconciler");
    JsonObject neverPlaced = Calls.awaitFinal(again, token, pendingId, WITHIN);
    assertThat(neverPlaced.getString("status")).isEqualTo("failed");
    assertThat(neverPlaced.getString("failure_reason")).contains("before the call was placed");
    assertThat(Calls.timeline(again, token, pendingId)).containsExactly("pending→failed");

    // Answered while the service was down, waiting in Stasis: caught up, sent to its IVR, which ends it.
    JsonObject lateAnswered = Calls.awaitFinal(again, token, answeredWhileDown, WITHIN);
    assertThat(lateAnswered.getString("status")).isEqualTo("completed");
    assertThat(lateAnswered.getInteger("hangup_cause")).isEqualTo(16);
    assertThat(Calls.timeline(again, token, answeredWhileDown))
        .containsExactly("pending→dialing", "dialing→ringing", "ringing→answered", "answered→completed");
    assertThat(sources(again, token, answeredWhileDown)).containsExactly("ari", "ari", "reconciler", "ari");

    // Still live: followed again, so their real end is recorded.
    assertThat(Calls.get(again, token, holding).getString("status")).isEqualTo("answered");
    assertThat(Calls.get(again, token, stillRinging).getString("status")).isEqualTo("ringing");
    ApiClient.Response hangup = again.post("/api/v2/calls/" + holding + "/hangup", token, null);
    assertThat(hangup.status()).as(hangup.body()).isEqualTo(202);
    JsonObject completed = Calls.awaitFinal(again, token, holding, WITHIN);
    assertThat(completed.getString("status")).isEqualTo("completed");
    assertThat(completed.getInteger("hangup_cause")).isEqualTo(16);
    assertThat(completed.getString("failure_reason")).isNull();
    assertThat(completed.getInteger("duration")).isGreaterThanOrEqualTo(2);
    assertThat(sources(again, token, holding)).last().isEqualTo("ari");

    JsonObject noAnswer = Calls.awaitFinal(again, token, stillRinging, Duration.ofSeconds(20));
    assertThat(noAnswer.getString("status")).isEqualTo("no_answer");
    assertThat(noAnswer.getInteger("hangup_cause")).isEqualTo(19);
    assertThat(Calls.timeline(again, token, stillRinging))
        .containsExactly("pending→dialing", "dialing→ringing", "ringing→no_answer");

    assertThat(activeCalls()).as("no call stays active").isZero();
    assertThat(asteriskChannels()).isEmpty();
  }

  @Test
  @DisplayName("a call that ended unobserved gets an approximate end bounded by when it was last known alive")
  void honestDurationAfterUnobservedEnd() throws Exception {
    ApiClient api = startService();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    // Answers after 3.5 s of ringing; the IVR ends it 2 s after the hand-off.
    String callId = place(api, admin, number("+15550000700"));
    JsonObject answered = Calls.awaitStatus(api, admin, callId, "answered", WITHIN);
    app.close();
    app = null;
    Calls.eventually(WITHIN, () -> assertThat(asteriskChannels()).doesNotContainKey(callId));
    // Down well beyond the call's end: an end time taken from when reconciliation ran would be seconds too late.
    Thread.sleep(6_000);

    api = startService();
    admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    JsonObject settled = Calls.awaitFinal(api, admin, callId, WITHIN);
    assertThat(settled.getString("status")).isEqualTo("completed");
    assertThat(settled.getBoolean("end_time_approximate")).isTrue();
    assertThat(settled.getString("answered_at")).isEqualTo(answered.getString("answered_at"));
    Instant answeredAt = Instant.parse(settled.getString("answered_at"));
    Instant endedAt = Instant.parse(settled.getString("ended_at"));
    // The true talk time is about 2 s: the bound may be shorter, never longer.
    assertThat(Duration.between(answeredAt, endedAt)).isBetween(Duration.ZERO, Duration.ofMillis(2_500));
    assertThat(settled.getInteger("duration")).isBetween(0, 2);
  }

  @Test
  @DisplayName("when Asterisk restarts and loses its calls, the service settles them on reconnect")
  void restartOfAsterisk() throws Exception {
    ApiClient api = startService();
    int blocked = BlockedThreadRecorder.count();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    String ringing = place(api, admin, number("+15550000902").put("timeout", 30_000));
    String answered = place(api, admin, number("+15550000900").put("extension", "hold"));
    Calls.awaitStatus(api, admin, ringing, "ringing", WITHIN);
    Calls.awaitStatus(api, admin, answered, "answered", WITHIN);

    // Asterisk goes away with its channels and comes back on the same port, empty.
    ari.stop();
    Calls.eventually(WITHIN, () -> assertThat(api.get("/health", null).status()).isEqualTo(503));
    ari.restart();

    JsonObject lost = Calls.awaitFinal(api, admin, ringing, WITHIN);
    assertThat(lost.getString("status")).isEqualTo("failed");
    assertThat(lost.getString("failure_reason")).isNotBlank();
    JsonObject ended = Calls.awaitFinal(api, admin, answered, WITHIN);
    assertThat(ended.getString("status")).isEqualTo("completed");
    assertThat(activeCalls()).as("no call stays active").isZero();

    // And the service places calls again.
    Calls.eventually(WITHIN, () -> assertThat(api.get("/health", null).status()).isEqualTo(200));
    String next = place(api, admin, number("+15550000911"));
    assertThat(Calls.awaitFinal(api, admin, next, WITHIN).getString("status")).isEqualTo("busy");
    BlockedThreadRecorder.assertNoneSince(blocked);
  }
}
