package dev.contactcenter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.RealAsterisk;
import dev.contactcenter.support.ServiceProcess;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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

  /** Submits {@code numbers} at once from 50 client threads; returns the call ids in order. */
  private static List<String> submitAtOnce(ApiClient api, String token, List<String> numbers) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(50);
    try {
      List<Future<ApiClient.Response>> answers = new ArrayList<>();
      for (String number : numbers) {
        answers.add(pool.submit(() -> api.post("/api/v2/calls", token, new JsonObject().put("phone_number", number))));
      }
      List<String> ids = new ArrayList<>();
      for (Future<ApiClient.Response> answer : answers) {
        ApiClient.Response created = answer.get();
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().getString("status")).isIn("dialing", "queued");
        ids.add(created.json().getString("call_id"));
      }
      return ids;
    } finally {
      pool.shutdown();
    }
  }

  @Test
  @DisplayName("500 calls at once with max_calls_per_second=20: no second of Asterisk's exceeds 20, all end right")
  void fiveHundredAtOnce() throws Exception {
    Map<String, String> env = env();
    try (AriChannelProbe probe = probe(env); TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      List<String> numbers = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        // Busy (digit 1) and answered-then-hung-up-by-the-callee (digit 5) in turn.
        numbers.add(String.format("+1557%06d%d", i, i % 2 == 0 ? 1 : 5));
      }
      long started = System.nanoTime();
      List<String> ids = submitAtOnce(api, token, numbers);
      Duration accepted = Duration.ofNanos(System.nanoTime() - started);
      for (int i = 0; i < ids.size(); i++) {
        JsonObject call = Calls.awaitFinal(api, token, ids.get(i), Duration.ofSeconds(90));
        assertThat(call.getString("status")).as(call.encode()).isEqualTo(i % 2 == 0 ? "busy" : "completed");
      }
      Duration drained = Duration.ofNanos(System.nanoTime() - started);
      List<AriChannelProbe.Created> created = probe.created();
      Map<String, Long> perCall = created.stream().collect(Collectors.groupingBy(AriChannelProbe.Created::id,
          Collectors.counting()));
      assertThat(perCall.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(perCall.values()).allMatch(n -> n == 1);
      int worst = AriChannelProbe.maxInAnySecond(created.stream().map(AriChannelProbe.Created::at).toList());
      System.out.printf("DISPATCH-IT 500 calls: accepted in %d ms, drained in %d ms, worst second %d (limit %d)%n",
          accepted.toMillis(), drained.toMillis(), worst, CPS);
      assertThat(worst).isLessThanOrEqualTo(CPS);
      assertThat(TestDatabase.queryLong(app.databaseUrl(),
          "SELECT count(*) FROM calls WHERE status IN ('queued', 'pending')")).isZero();
    }
  }

  @Test
  @DisplayName("kill -9 of the dialling service mid-drain: after a restart, 0 calls lost, 0 dialled twice")
  void killNineMidDrain() throws Exception {
    Map<String, String> env = env();
    env.put("HTTP_PORT", Integer.toString(ServiceProcess.freePort()));
    Path logs = Files.createTempDirectory("cc-dispatch-kill");
    int n = 200;
    List<String> ids;
    try (AriChannelProbe probe = probe(env)) {
      try (ServiceProcess first = ServiceProcess.start(env, logs.resolve("first.log"))) {
        first.awaitOk("/health", Duration.ofSeconds(90));
        ApiClient api = first.client();
        String token = api.login("admin", TestApp.ADMIN_PASSWORD);
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          numbers.add(String.format("+1558%06d1", i));
        }
        ids = submitAtOnce(api, token, numbers);
        // About 3 s of dialling at 20 per second, then the dialling node dies.
        Calls.eventually(Duration.ofSeconds(30), () -> assertThat(probe.created().size()).isGreaterThanOrEqualTo(60));
        first.kill9();
      }
      int beforeRestart = probe.created().size();
      try (ServiceProcess second = ServiceProcess.start(env, logs.resolve("second.log"))) {
        second.awaitOk("/health", Duration.ofSeconds(90));
        ApiClient api = second.client();
        String token = api.login("admin", TestApp.ADMIN_PASSWORD);
        Map<String, Integer> statuses = new HashMap<>();
        for (String id : ids) {
          JsonObject call = Calls.awaitFinal(api, token, id, Duration.ofSeconds(60));
          statuses.merge(call.getString("status"), 1, Integer::sum);
        }
        Map<String, Long> perCall = probe.created().stream().collect(Collectors.groupingBy(
            AriChannelProbe.Created::id, Collectors.counting()));
        long twice = perCall.values().stream().filter(c -> c > 1).count();
        long neverDialled = ids.stream().filter(id -> !perCall.containsKey(id)).count();
        System.out.printf("DISPATCH-IT kill -9: %d dialled before the kill, statuses %s, dialled twice %d, "
            + "never dialled %d%n", beforeRestart, statuses, twice, neverDialled);
        assertThat(twice).isZero();
        // Every call ended: busy when dialled; the few whose dial may have left when the node died are settled.
        assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(n);
        // Only calls whose busy ended while no node followed Asterisk's events are settled otherwise (failed).
        assertThat(statuses.getOrDefault("busy", 0)).isGreaterThanOrEqualTo(n - 5);
        assertThat(neverDialled).isLessThanOrEqualTo(statuses.getOrDefault("failed", 0));
        second.sigterm(Duration.ofSeconds(20));
      }
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
