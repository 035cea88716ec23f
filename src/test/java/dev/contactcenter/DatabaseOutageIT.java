package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.calls.CallState;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StoppablePostgres;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DatabaseOutageTest} against a real Asterisk 22: a real PostgreSQL is stopped for 10 s while 30 calls ring
 * ({@code [callee-slow]}: 4 s), are answered and end in the IVR (2 s); every call must end completed with Asterisk's
 * own timestamps, none stuck.
 */
@DisplayName("Call transitions survive a database outage, with a real Asterisk")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DatabaseOutageIT {

  @Test
  @DisplayName("30 calls answered and ended during a 10 s database outage end completed with their true times")
  void outageWhileCallsRing() throws Exception {
    try (StoppablePostgres pg = StoppablePostgres.start(); TestAsterisk asterisk = TestAsterisk.startOrSkip()) {
      Map<String, String> env = asterisk.serviceEnv("cc-outage-" + ProcessHandle.current().pid());
      env.put("DATABASE_URL", pg.url());
      env.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@callee-slow/n");
      try (TestApp app = TestApp.start(env)) {
        ApiClient api = app.client();
        Calls.eventually(Duration.ofSeconds(15), () -> assertThat(api.get("/health", null).status()).isEqualTo(200));
        String token = api.login("admin", TestApp.ADMIN_PASSWORD);
        List<String> ids = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
          List<Future<String>> placed = new ArrayList<>();
          for (int i = 0; i < DatabaseOutageTest.CALLS; i++) {
            String number = String.format("+1555%05d0", i);
            placed.add(pool.submit(() -> Calls.place(api, token, new JsonObject().put("phone_number", number))));
          }
          for (Future<String> id : placed) {
            ids.add(id.get(30, TimeUnit.SECONDS));
          }
        } finally {
          pool.shutdownNow();
        }

        Instant down = Instant.now();
        pg.stop();
        Calls.awaitDatabaseUnavailable(api, token, ids.get(0));
        Thread.sleep(Math.max(0, DatabaseOutageTest.OUTAGE.toMillis()
            - Duration.between(down, Instant.now()).toMillis()));
        Instant up = Instant.now();
        pg.startAgain();

        String active = "SELECT count(*) FROM calls WHERE status IN " + CallState.activeSqlList();
        long stuck = TestDatabase.queryLong(pg.url(), active);
        for (long end = System.currentTimeMillis() + 30_000; stuck > 0 && System.currentTimeMillis() < end; ) {
          Thread.sleep(200);
          stuck = TestDatabase.queryLong(pg.url(), active);
        }
        List<String> wrong = new ArrayList<>();
        for (String id : ids) {
          JsonObject call = Calls.get(api, token, id);
          List<String> timeline = Calls.timeline(api, token, id);
          if (!call.getBoolean("is_active") && !DatabaseOutageTest.storedTruly(call, timeline, down, up)) {
            wrong.add(call.encode() + " " + timeline);
          }
        }
        System.out.printf("%s: %d calls, database down %d ms: %d wrong, %d stuck, talk times %s%n", "DatabaseOutageIT",
            ids.size(), Duration.between(down, up).toMillis(), wrong.size(), stuck,
            DatabaseOutageTest.talkTimes(pg.url()));
        assertThat(wrong).as("calls stored wrong after the outage").isEmpty();
        assertThat(stuck).as("calls still active 30 s after the outage").isZero();
      }
    }
  }
}
