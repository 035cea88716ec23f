package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StoppablePostgres;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
        List<String> ids = OutageChecks.placeConcurrently(List.of(api), token, DatabaseOutageTest.CALLS, "555");

        Instant down = Instant.now();
        pg.stop();
        Calls.awaitDatabaseUnavailable(api, token, ids.get(0));
        Thread.sleep(Math.max(0, DatabaseOutageTest.OUTAGE.toMillis()
            - Duration.between(down, Instant.now()).toMillis()));
        Instant up = Instant.now();
        pg.startAgain();

        OutageChecks.assertStoredTruly("DatabaseOutageIT", pg.url(), api, token, ids, down, up, down, up);
      }
    }
  }
}
