package dev.contactcenter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.RealAsterisk;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Admission control against a real Asterisk 22: the pace is measured on Asterisk's side (ChannelCreated of an ARI
 * application subscribed to everything), a kill -9 of the dialling service loses and repeats no call, retries follow
 * their policy with Asterisk's busy and answered callees.
 */
@DisplayName("Dispatch through a real Asterisk 22: pacing, kill -9 mid-drain, retries")
@ExtendWith(TestAsterisk.Provisioned.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DispatchIT {

  private static final int CPS = 20;

  @RegisterExtension
  static final RealAsterisk ASTERISK = new RealAsterisk("cc-dispatch");

  private Map<String, String> env() {
    Map<String, String> env = ASTERISK.serviceEnv();
    env.put("ARI_MAX_CALLS_PER_SECOND", Integer.toString(CPS));
    env.put("DISPATCH_POLL_MS", "250");
    return env;
  }

  private AriChannelProbe probe(Map<String, String> env) throws Exception {
    return AriChannelProbe.open(env.get("ARI_HTTP_URL"), env.get("ARI_USERNAME"), env.get("ARI_PASSWORD"),
        "probe-" + env.get("ARI_APP"));
  }

  @Test
  @DisplayName("500 calls at once with max_calls_per_second=20: no second of Asterisk's exceeds 20, all end right")
  void fiveHundredAtOnce() throws Exception {
    Map<String, String> env = env();
    try (AriChannelProbe probe = probe(env); TestApp app = TestApp.start(env)) {
      DispatchDrills.burst(app, Map.of("default", probe), 500, CPS, "+1557", "DISPATCH-IT");
    }
  }

  @Test
  @DisplayName("kill -9 of the dialling service mid-drain: after a restart, 0 calls lost, 0 dialled twice")
  void killNineMidDrain() throws Exception {
    Map<String, String> env = env();
    try (AriChannelProbe probe = probe(env)) {
      DispatchDrills.killNineMidDrain(env, List.of(probe), 200, "+1558", "DISPATCH-IT");
    }
  }

  @Test
  @DisplayName("retries: busy with max_attempts=3, delay 2 s makes exactly 3 attempts 2 s apart; an answer on "
      + "attempt 2 stops the chain")
  void retries() throws Exception {
    Map<String, String> env = env();
    env.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@retry-callee/n");
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      JsonObject retry = new JsonObject().put("max_attempts", 3).put("on", new JsonArray().add("busy"))
          .put("delay_seconds", 2);
      // [retry-callee] is busy on a number's first call only.
      String secondAnswers = Calls.place(api, token, new JsonObject()
          .put("phone_number", String.format("+1559%07d5", ThreadLocalRandom.current().nextInt(10_000_000)))
          .put("retry", retry));
      JsonObject answered = chain(api, token, secondAnswers, 2);
      assertThat(answered.getString("status")).isEqualTo("busy");
      JsonObject attempt2 = Calls.get(api, token, answered.getJsonArray("attempts").getJsonObject(0).getString("call_id"));
      assertThat(attempt2.getString("status")).isEqualTo("completed");
      assertGap(answered, attempt2);
      // Attempt 2 answered: no third, even after its delay would have passed.
      Thread.sleep(2_500);
      assertThat(Calls.get(api, token, secondAnswers).getJsonArray("attempts")).hasSize(1);
    }
  }

  @Test
  @DisplayName("retries: a number busy every time, max_attempts=3, delay 2 s: exactly 3 attempts, 2 s apart")
  void retriesBusyThreeTimes() throws Exception {
    Map<String, String> env = env();
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      JsonObject retry = new JsonObject().put("max_attempts", 3).put("on", new JsonArray().add("busy"))
          .put("delay_seconds", 2);
      String first = Calls.place(api, token, new JsonObject().put("phone_number", "+15559100001").put("retry", retry));
      JsonObject firstCall = chain(api, token, first, 3);
      JsonArray attempts = firstCall.getJsonArray("attempts");
      JsonObject second = Calls.get(api, token, attempts.getJsonObject(0).getString("call_id"));
      JsonObject third = Calls.get(api, token, attempts.getJsonObject(1).getString("call_id"));
      for (JsonObject attempt : List.of(firstCall, second, third)) {
        assertThat(attempt.getString("status")).isEqualTo("busy");
      }
      assertThat(third.getString("previous_attempt_id")).isEqualTo(second.getString("call_id"));
      assertGap(firstCall, second);
      assertGap(second, third);
      Thread.sleep(2_500);
      assertThat(TestDatabase.queryLong(app.databaseUrl(), "SELECT count(*) FROM calls")).isEqualTo(3);
    }
  }

  /** Waits until the chain of {@code first} has {@code attempts} attempts, all ended; returns the first. */
  private static JsonObject chain(ApiClient api, String token, String first, int attempts) {
    return Calls.await(api, token, first, Duration.ofSeconds(40), call -> {
      JsonArray later = call.getJsonArray("attempts");
      return Calls.FINAL.contains(call.getString("status")) && later != null && later.size() == attempts - 1
          && later.stream().map(JsonObject.class::cast).allMatch(a -> Calls.FINAL.contains(a.getString("status")));
    }, attempts + " attempts ended");
  }

  /** From one attempt's end to the next one's channel creation in Asterisk: the 2 s delay, within 0.5 s. */
  private static void assertGap(JsonObject previous, JsonObject next) {
    Instant ended = Instant.parse(previous.getString("ended_at"));
    Instant dialed = Instant.parse(next.getString("dialed_at"));
    long gapMs = Duration.between(ended, dialed).toMillis();
    System.out.printf("DISPATCH-IT retry gap attempt %d -> %d: %d ms%n", previous.getInteger("attempt_number"),
        next.getInteger("attempt_number"), gapMs);
    assertThat(gapMs).isBetween(1_500L, 2_500L);
  }
}
