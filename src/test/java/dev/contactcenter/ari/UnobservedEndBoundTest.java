package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A call whose end was not observed is ended at the last moment it is known to have been alive: its last event,
 * not the moment that event was stored. Under heavy load (bench faults, load ~20) or after a database outage an
 * answer is stored seconds after it happened; a bound taken from the write time recorded calls up to 13 s too
 * long. The "Asterisk" is an ARI sandbox in the test's own Vert.x, so it outlives the service.
 */
@DisplayName("An unobserved end is bounded by the call's last event, not by when that event was stored")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UnobservedEndBoundTest {

  private StandaloneAri ari;
  private TestApp app;

  @BeforeEach
  void start() {
    ari = StandaloneAri.start("bound-secret");
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (ari != null) {
      ari.close();
    }
  }

  @Test
  @DisplayName("answer stored 13 s late, channel gone at the restart: ended at the answer, duration 0, approximate")
  void lateStoredAnswer() throws Exception {
    Map<String, String> env = ari.serviceEnv();
    app = TestApp.start(env);
    String callId = UUID.randomUUID().toString();
    app.app().vertx().eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject()
        .put("call_id", callId).put("owner", "admin").put("phone_number", "+15550000904")
        .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30_000)
        .put("variables", new JsonObject()).put("request_hash", "bound-" + callId)).await();
    String db = app.databaseUrl();
    app.close();
    app = null;
    // Dialled 20 s ago, answered 15 s ago, and that answer stored only 13 s after it (now); then the service went
    // away and the call ended unobserved.
    TestDatabase.execute(db, "UPDATE calls SET status = 'answered', channel_id = id::text,"
        + " created_at = now() - interval '21 seconds',"
        + " dialed_at = now() - interval '20 seconds', ringing_at = now() - interval '19 seconds',"
        + " answered_at = now() - interval '15 seconds', updated_at = now() - interval '2 seconds'"
        + " WHERE id = '" + callId + "'");

    app = TestApp.start(env);
    ApiClient api = app.client();
    String token = api.login("admin", TestApp.ADMIN_PASSWORD);
    JsonObject settled = Calls.awaitFinal(api, token, callId, Duration.ofSeconds(30));
    assertThat(settled.getString("status")).isEqualTo("completed");
    assertThat(settled.getBoolean("end_time_approximate")).isTrue();
    Instant answeredAt = Instant.parse(settled.getString("answered_at"));
    Instant endedAt = Instant.parse(settled.getString("ended_at"));
    // Known alive until its answer; anything later is a guess that may be longer than the call was.
    assertThat(endedAt).as(settled.encode()).isEqualTo(answeredAt);
    assertThat(settled.getInteger("duration")).isZero();
  }
}
