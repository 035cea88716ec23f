package dev.contactcenter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One component decides a call's fate. With state writes stuck behind a lock for longer than the API waits for the
 * ARI side, the call Asterisk is already dialling must not be answered 503 and recorded failed by the API.
 */
@DisplayName("A slow database never makes the API fail a call Asterisk is dialling")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowDatabaseTest {

  @Test
  @DisplayName("state writes blocked 6 s: the API answers 201 dialing at once, and the call ends completed")
  void writesBlockedWhileDialling() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("ARI_REQUEST_TIMEOUT", "1000");
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      DatabaseUrl url = DatabaseUrl.parse(app.databaseUrl());
      ApiClient.Response created;
      long tookMs;
      try (Connection lock = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password())) {
        lock.setAutoCommit(false);
        try (Statement s = lock.createStatement()) {
          // Every transition appends to call_events; creating a call does not: inserts work, transitions wait.
          s.execute("LOCK TABLE call_events IN EXCLUSIVE MODE");
        }
        long started = System.nanoTime();
        created = api.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000100"));
        tookMs = (System.nanoTime() - started) / 1_000_000;
        Thread.sleep(Math.max(0, 6_000 - tookMs));
        lock.rollback();
      }
      assertThat(created.status()).as(created.body()).isEqualTo(201);
      assertThat(created.json().getString("status")).isEqualTo("dialing");
      assertThat(tookMs).as("answered without waiting for the database").isLessThan(4_000);

      String callId = created.json().getString("call_id");
      JsonObject ended = Calls.awaitFinal(api, token, callId, Duration.ofSeconds(20));
      assertThat(ended.getString("status")).isEqualTo("completed");
      assertThat(Calls.timeline(api, token, callId))
          .containsExactly("pending→dialing", "dialing→ringing", "ringing→answered", "answered→completed");
    }
  }
}
