package dev.contactcenter.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.CallProbe;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What SIGTERM does inside the process (Main's shutdown hook calls {@code Application.stop()}). */
@DisplayName("Graceful shutdown: drain, then stop")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulShutdownTest {

  /** Simulated calls a thousand times slower: they stay in dialing while the test moves them itself. */
  private static Map<String, String> slowSandbox() {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("SANDBOX_TIME_SCALE", "1000");
    return env;
  }

  @Test
  @DisplayName("while draining: new calls 503 + Retry-After, /health and /health/ready 503 shutting_down, reads served")
  void drainingRefusesNewCallsOnly() throws Exception {
    try (TestApp app = TestApp.start(slowSandbox())) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      String before = calls.place("+15550000000", new JsonObject());

      ShutdownGate.of(app.app().vertx()).startDraining();

      ApiClient.Response created = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000000"));
      assertThat(created.status()).as(created.body()).isEqualTo(503);
      assertThat(created.header("Content-Type")).startsWith("application/problem+json");
      assertThat(created.header("Retry-After")).isNotBlank();
      assertThat(created.json().getString("detail")).contains("shutting down");
      ApiClient.Response interaction = api.post("/api/v2/interaction/+15550000000", token, null);
      assertThat(interaction.status()).isEqualTo(503);
      assertThat(interaction.header("Retry-After")).isNotBlank();

      for (String path : List.of("/health/ready", "/health")) {
        ApiClient.Response health = api.get(path, null);
        assertThat(health.status()).as(path).isEqualTo(503);
        assertThat(health.json().getBoolean("shutting_down")).as(path).isTrue();
        assertThat(health.json().getString("status")).as(path).isEqualTo("degraded");
        assertThat(health.header("Retry-After")).as(path).isNotBlank();
      }
      assertThat(api.get("/health/live", null).status()).isEqualTo(200);
      assertThat(calls.call(before).getString("call_id")).isEqualTo(before);
      assertThat(api.get("/api/v2/calls", token).status()).isEqualTo(200);
      assertThat(ShutdownGate.of(app.app().vertx()).refused()).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("stop finishes the call-state writes already sent: 60 transitions sent just before stop are all stored")
  void stopFinishesPendingTransitions() throws Exception {
    Map<String, String> env = slowSandbox();
    env.put("DATABASE_POOL_SIZE", "2");
    TestApp app = TestApp.start(env);
    List<String> ids = new ArrayList<>();
    try {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      CallProbe calls = new CallProbe(api, token);
      for (int i = 0; i < 60; i++) {
        // Last digit 0: answered, in the sandbox as in the test Asterisk (a thousand times later here).
        ids.add(calls.place(String.format("+1555100%03d0", i), new JsonObject()));
      }
      for (String id : ids) {
        Calls.await(api, token, id, Duration.ofSeconds(10), call -> call.getString("channel") != null, "placed");
      }
    } catch (Exception | Error e) {
      app.close();
      throw e;
    }

    EventBus bus = app.app().vertx().eventBus();
    Instant now = Instant.now();
    for (String id : ids) {
      // Sent and not awaited, as the ARI side does when a burst of events arrives right before SIGTERM.
      bus.request(EventBusAddresses.CALLS_TRANSITION, TransitionCommand.of(id, CallState.ANSWERED, now, "ari").toJson());
    }
    app.app().stop();

    long answered = TestDatabase.queryLong(app.databaseUrl(),
        "SELECT count(*) FROM calls WHERE status = 'answered' AND answered_at IS NOT NULL");
    assertThat(answered).isEqualTo(ids.size());
  }
}
