package dev.contactcenter.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The dispatcher reads the queue at the end of a call only when calls may wait in it or the end queued a retry; the
 * periodic read is an hour away here, so a retry found late would show in its dial time (sandbox: last digit 1 is
 * busy, 0 answers).
 */
@DisplayName("Dispatch, no periodic queue read: a retry queued by a call's end is dialled on time, after calls "
    + "that ended without one")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DispatchRetryWakeTest {

  private TestApp app;
  private ApiClient api;
  private String user;

  @BeforeAll
  void start() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("DISPATCH_POLL_MS", "60000");
    app = TestApp.start(env);
    api = app.client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    user = Calls.createUser(api, admin, Calls.uniqueName("wake"));
  }

  @AfterAll
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  @Test
  @DisplayName("answered calls end with no retry, then a busy call's retry 1 s later and one right away are dialled "
      + "on time")
  void retryQueuedByAnEndIsDialledOnTime() {
    // Calls that end without a retry first: the queue was read empty, nothing queued since.
    for (int i = 0; i < 3; i++) {
      String id = api.post("/api/v2/calls", user, new JsonObject().put("phone_number", "+15550005000"))
          .json().getString("call_id");
      assertThat(Calls.awaitFinal(api, user, id, Duration.ofSeconds(15)).getString("status")).isEqualTo("completed");
    }
    for (int delay : new int[] {1, 0}) {
      JsonObject body = new JsonObject().put("phone_number", "+15550005001").put("retry", new JsonObject()
          .put("max_attempts", 2).put("on", new JsonArray().add("busy")).put("delay_seconds", delay));
      ApiClient.Response created = api.post("/api/v2/calls", user, body);
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      String first = created.json().getString("call_id");
      JsonObject firstCall = Calls.await(api, user, first, Duration.ofSeconds(15),
          c -> c.getJsonArray("attempts") != null && c.getJsonArray("attempts").size() == 1
              && Calls.FINAL.contains(c.getJsonArray("attempts").getJsonObject(0).getString("status")),
          "the retry ended");
      JsonObject retry = Calls.get(api, user, firstCall.getJsonArray("attempts").getJsonObject(0)
          .getString("call_id"));
      double gap = Duration.between(Instant.parse(firstCall.getString("ended_at")),
          Instant.parse(retry.getString("dialed_at"))).toMillis() / 1000.0;
      assertThat(gap).as("seconds from the first attempt's end to the retry's dial, delay %d s", delay)
          .isBetween(delay - 0.1, delay + 0.5);
    }
  }
}
