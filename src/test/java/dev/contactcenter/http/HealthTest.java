package dev.contactcenter.http;

import dev.contactcenter.support.FreePorts;
import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.db.EmbeddedDatabase;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.BlockedThreadRecorder;
import dev.contactcenter.support.TestApp;
import io.vertx.core.json.JsonObject;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.support.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Health endpoints: shapes, and the database going away and coming back")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HealthTest {

  @Test
  @DisplayName("/health, /health/live and /health/ready answer 200 with the contract's shape in sandbox mode")
  void shapes() throws Exception {
    try (TestApp app = TestApp.start()) {
      int blocked = BlockedThreadRecorder.count();
      ApiClient api = app.client();

      ApiClient.Response health = api.get("/health", null);
      assertThat(health.status()).isEqualTo(200);
      assertThat(health.header("Content-Type")).startsWith("application/json");
      assertThat(health.header("Cache-Control")).isEqualTo("no-store");
      assertHealthShape(health.json(), "ok");
      assertThat(health.json().getBoolean("simulated")).isTrue();
      assertThat(health.json().getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("up");
      assertThat(health.json().getJsonObject("checks").getJsonObject("database").getDouble("latency_ms")).isNotNegative();
      assertThat(health.json().getJsonObject("checks").getJsonObject("asterisk").getString("status")).isEqualTo("up");

      ApiClient.Response ready = api.get("/health/ready", null);
      assertThat(ready.status()).isEqualTo(200);
      assertHealthShape(ready.json(), "ok");
      assertThat(ready.json().getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("up");

      ApiClient.Response live = api.get("/health/live", null);
      assertThat(live.status()).isEqualTo(200);
      assertThat(live.json()).isEqualTo(new JsonObject().put("status", "ok"));
      BlockedThreadRecorder.assertNoneSince(blocked);
    }
  }

  /** The Health schema of openapi.yaml: required members and their types. */
  private static void assertHealthShape(JsonObject body, String status) {
    assertThat(body.getString("status")).as("status of %s", body).isEqualTo(status);
    assertThat(body.getValue("simulated")).as("simulated").isInstanceOf(Boolean.class);
    assertThat(body.getValue("version")).as("version").isInstanceOf(String.class);
    assertThat(body.getValue("uptime_seconds")).as("uptime_seconds").isInstanceOf(Number.class);
    JsonObject checks = body.getJsonObject("checks");
    assertThat(checks.fieldNames()).as("checks of %s", body).contains("database", "asterisk");
    for (String name : new String[] {"database", "asterisk"}) {
      JsonObject check = checks.getJsonObject(name);
      assertThat(check.getString("status")).as("%s status", name).isIn("up", "down");
      // Optional members, when present, have the contract's types (no nulls).
      if (check.containsKey("detail")) {
        assertThat(check.getValue("detail")).as("%s detail in %s", name, body).isInstanceOf(String.class);
      }
      if (check.containsKey("latency_ms")) {
        assertThat(check.getValue("latency_ms")).as("%s latency_ms in %s", name, body).isInstanceOf(Number.class);
      }
    }
  }

  @Test
  @DisplayName("when the database stops, /health and /health/ready turn 503 quickly; when it is back, 200 again")
  void databaseDownAndBack() throws Exception {
    Path dataDir = TempDirs.create("cc-health-pg");
    int port = FreePorts.next();
    EmbeddedDatabase database = EmbeddedDatabase.start(dataDir, port);
    Map<String, String> env = TestApp.defaultEnv();
    env.put("DATABASE_URL", database.url().reactiveUri());
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      assertThat(api.get("/health", null).status()).isEqualTo(200);
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      int blocked = BlockedThreadRecorder.count();

      database.close();
      long stoppedAt = System.nanoTime();
      ApiClient.Response down = poll(api, "/health", r -> r.status() == 503, 5_000);
      System.out.printf("Health saw the database down %d ms after it stopped%n", (System.nanoTime() - stoppedAt) / 1_000_000);

      assertThat(down.status()).as("/health %s", down.body()).isEqualTo(503);
      assertThat(down.header("Retry-After")).as("Retry-After of /health's 503").isNotBlank();
      assertHealthShape(down.json(), "degraded");
      assertThat(down.json().getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("down");
      assertThat(down.json().getJsonObject("checks").getJsonObject("asterisk").getString("status")).isEqualTo("up");
      long started = System.nanoTime();
      ApiClient.Response ready = api.get("/health/ready", null);
      assertThat((System.nanoTime() - started) / 1_000_000).as("ms for /health/ready").isLessThan(3_000);
      assertThat(ready.status()).isEqualTo(503);
      assertHealthShape(ready.json(), "degraded");
      assertThat(ready.json().getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("down");
      assertThat(api.get("/health/live", null).status()).isEqualTo(200);
      // API requests that need the database fail cleanly, as problem+json.
      ApiClient.Response calls = api.get("/api/v2/calls", token);
      assertThat(calls.status()).isEqualTo(503);
      assertThat(calls.header("Content-Type")).startsWith("application/problem+json");

      database = EmbeddedDatabase.start(dataDir, port);
      long restartedAt = System.nanoTime();
      ApiClient.Response up = poll(api, "/health", r -> r.status() == 200, 15_000);
      System.out.printf("Health saw the database back %d ms after it restarted%n", (System.nanoTime() - restartedAt) / 1_000_000);

      assertThat(up.status()).as("/health %s", up.body()).isEqualTo(200);
      assertThat(up.json().getJsonObject("checks").getJsonObject("database").getString("status")).isEqualTo("up");
      assertThat(api.get("/health/ready", null).status()).isEqualTo(200);
      assertThat(api.get("/api/v2/calls", token).status()).isEqualTo(200);
      assertThat(api.token("admin", TestApp.ADMIN_PASSWORD).status()).isEqualTo(200);
      BlockedThreadRecorder.assertNoneSince(blocked);
    } finally {
      database.close();
    }
  }

  private static ApiClient.Response poll(ApiClient api, String path, Predicate<ApiClient.Response> done, long timeoutMs)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    ApiClient.Response last = api.get(path, null);
    while (!done.test(last) && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
      last = api.get(path, null);
    }
    return last;
  }

  @Test
  @DisplayName("every pool connection waiting on a lock: /health, /health/ready and a burst of 40 checks say the database is up")
  void busyPoolIsNotADownDatabase() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.put("DATABASE_POOL_SIZE", "2");
    try (TestApp app = TestApp.start(env)) {
      ApiClient api = app.client();
      String token = api.login("admin", TestApp.ADMIN_PASSWORD);
      DatabaseUrl url = DatabaseUrl.parse(app.databaseUrl());
      ExecutorService readers = Executors.newFixedThreadPool(4);
      try (Connection locker = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password())) {
        locker.setAutoCommit(false);
        locker.createStatement().execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE");
        // Four listings wait on the lock: both pool connections are taken and two more wait for one.
        List<Future<ApiClient.Response>> listings = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          listings.add(readers.submit(() -> api.get("/api/v2/calls", token)));
        }
        long waitingOnLock = 0;
        for (int i = 0; i < 100 && waitingOnLock < 2; i++) {
          Thread.sleep(50);
          waitingOnLock = TestDatabase.queryLong(app.databaseUrl(),
              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM calls%'");
        }
        assertThat(waitingOnLock).as("pool connections waiting on the lock").isEqualTo(2);

        for (String path : new String[] {"/health", "/health/ready"}) {
          ApiClient.Response health = api.get(path, null);
          assertThat(health.status()).as("%s: %s", path, health.body()).isEqualTo(200);
          assertThat(health.json().getJsonObject("checks").getJsonObject("database").getString("status"))
              .isEqualTo("up");
        }
        // A burst of health checks (a load balancer per node, monitoring): one probe query answers them all.
        ExecutorService checkers = Executors.newFixedThreadPool(20);
        try {
          List<Future<ApiClient.Response>> checks = new ArrayList<>();
          for (int i = 0; i < 40; i++) {
            checks.add(checkers.submit(() -> api.get("/health/ready", null)));
          }
          for (Future<ApiClient.Response> check : checks) {
            ApiClient.Response answer = check.get(30, TimeUnit.SECONDS);
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
          }
        } finally {
          checkers.shutdownNow();
        }
        locker.rollback();
        for (Future<ApiClient.Response> listing : listings) {
          assertThat(listing.get(30, TimeUnit.SECONDS).status()).isIn(200, 503);
        }
      } finally {
        readers.shutdownNow();
      }
    }
  }
}
