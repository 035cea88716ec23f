package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.StoppablePostgres;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The database goes away for 10 s while 30 calls ring, are answered and end: no transition is lost. The "Asterisk"
 * is an ARI sandbox of the test's own (ringing 5 s, IVR 2 s), the database a real PostgreSQL the test stops with
 * {@code pg_ctl stop -m fast} and starts again. The real-Asterisk version is {@code DatabaseOutageIT}.
 *
 * <p>Every call must still be in progress when the database goes down, so they are placed ten at a time: one after
 * another, 30 placements took longer than a call's 5 s on a loaded 2-core machine, and the first calls had ended
 * (correctly stored, before the outage) when the test expected them to end during it.
 */
@DisplayName("Call transitions survive a database outage")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DatabaseOutageTest {

  static final int CALLS = 30;
  static final Duration OUTAGE = Duration.ofSeconds(10);
  private static final SandboxTiming TIMING = new SandboxTiming(5_000, 2_000, 120_000, 1_000, 30_000, 1.0);

  private StandaloneAri ari;
  private StoppablePostgres pg;
  private TestApp app;

  @BeforeEach
  void start() throws Exception {
    pg = StoppablePostgres.start();
    ari = StandaloneAri.start(StandaloneAri.USER, "outage-secret", TIMING);
    Map<String, String> env = ari.serviceEnv();
    env.put("DATABASE_URL", pg.url());
    app = TestApp.start(env);
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (ari != null) {
      ari.close();
    }
    pg.close();
  }

  @Test
  @DisplayName("30 calls answered and ended during a 10 s outage end completed with their true times; API 503s meanwhile")
  void outageWhileCallsRing() throws Exception {
    ApiClient api = app.client();
    Calls.eventually(Duration.ofSeconds(10), () -> assertThat(api.get("/health", null).status()).isEqualTo(200));
    String token = api.login("admin", TestApp.ADMIN_PASSWORD);
    Instant placing = Instant.now();
    List<String> ids = OutageChecks.placeConcurrently(List.of(api), token, CALLS, "555");
    long placedMs = Duration.between(placing, Instant.now()).toMillis();

    Instant down = Instant.now();
    pg.stop();
    Calls.awaitDatabaseUnavailable(api, token, ids.get(0));
    // Meanwhile the node says what it does: it still follows the server's calls (owner, unconfirmed); an ownership
    // the database cannot confirm does not make it ready.
    Calls.eventually(Duration.ofSeconds(5), () -> {
      JsonObject role = api.get("/health", null).json().getJsonObject("node").getJsonArray("servers").getJsonObject(0);
      assertThat(role.getString("role")).as(role.encode()).isEqualTo("owner");
      assertThat(role.getBoolean("ownership_unconfirmed")).as(role.encode()).isTrue();
      assertThat(api.get("/health/ready", null).status()).isEqualTo(503);
    });
    Thread.sleep(Math.max(0, OUTAGE.toMillis() - Duration.between(down, Instant.now()).toMillis()));
    Instant up = Instant.now();
    pg.startAgain();

    System.out.printf("DatabaseOutageTest: %d calls placed in %d ms%n", ids.size(), placedMs);
    OutageChecks.assertStoredTruly("DatabaseOutageTest", pg.url(), api, token, ids, down, up, down, up);
  }

  /**
   * Completed through every state, with the sandbox's true times: answered and ended while the database was down,
   * the IVR's 2 s of talk (plus the hand-off round trips), cause 16, an observed (not approximate) end.
   *
   * <p>The IVR's 2 s start when the service's hand-off ({@code continue}) reaches the sandbox, so the true talk time
   * is 2 s plus the service's hand-off latency: 1.2 s of it was measured at load 21 (event loops blocked 700 ms), a
   * correct recording the old 3 s bound called wrong. The upper bound allows 3 s of latency; an end stamped when
   * something ran later (the bug class this test is for: 51-53 s for a 2 s call) is still caught, by the end having
   * to be observed (not approximate) and before the database came back.
   */
  static boolean storedTruly(JsonObject call, List<String> timeline, Instant down, Instant up) {
    if (!"completed".equals(call.getString("status")) || call.getString("answered_at") == null
        || call.getString("ended_at") == null || call.getInteger("duration") == null) {
      return false;
    }
    Instant endedAt = Instant.parse(call.getString("ended_at"));
    long talkMs = Duration.between(Instant.parse(call.getString("answered_at")), endedAt).toMillis();
    return timeline.equals(List.of("pending→dialing", "dialing→ringing", "ringing→answered", "answered→completed"))
        && Boolean.FALSE.equals(call.getBoolean("end_time_approximate"))
        && Integer.valueOf(16).equals(call.getInteger("hangup_cause"))
        && talkMs >= 1_900 && talkMs <= 5_000
        && call.getInteger("duration") == talkMs / 1000
        && endedAt.isAfter(down) && endedAt.isBefore(up);
  }

  /** Shortest and longest answer-to-end time stored, in ms, for the report line. */
  static String talkTimes(String databaseUrl) {
    String talk = "(extract(epoch FROM (ended_at - answered_at)) * 1000)::bigint";
    return TestDatabase.queryLong(databaseUrl, "SELECT min" + "(" + talk + ") FROM calls") + ".."
        + TestDatabase.queryLong(databaseUrl, "SELECT max" + "(" + talk + ") FROM calls") + " ms";
  }
}
