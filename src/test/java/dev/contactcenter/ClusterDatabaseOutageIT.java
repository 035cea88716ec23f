package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.SlowConnectProxy;
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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ClusterDatabaseOutageTest}'s one-Asterisk case against a real Asterisk 22: two clustered nodes, the first
 * owning the server; PostgreSQL is stopped for 10 s while 20 calls ring ({@code [callee-slow]}: 4 s), are answered
 * and end in the IVR (2 s), and the owner's own way back to the database opens 3 s after the standby's. Every call
 * must end completed with Asterisk's own timestamps, stored by the owner that followed it, none dialled twice.
 */
@DisplayName("A database outage in a two-node cluster, with a real Asterisk")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterDatabaseOutageIT {

  private static final int CALLS = 20;

  @Test
  @DisplayName("20 calls answered and ended during a 10 s outage end completed with their true times; the owner keeps"
      + " the server")
  void outageWhileTheOwnerFollowsCalls() throws Exception {
    String app = "cc-cluster-outage-" + ProcessHandle.current().pid();
    int[] ports = {LoopbackCluster.freePort(), LoopbackCluster.freePort()};
    try (StoppablePostgres pg = StoppablePostgres.start(); TestAsterisk asterisk = TestAsterisk.startOrSkip();
        SlowConnectProxy farther = SlowConnectProxy.start(pg.port(), 1)) {
      String secret = TestApp.defaultEnv().get("SECRET_KEY");
      try (TestApp a = TestApp.start(nodeEnv(asterisk, app, secret, "node-a", ports, 0,
              pg.url().replace(":" + pg.port() + "/", ":" + farther.port() + "/")));
          TestApp b = TestApp.start(nodeEnv(asterisk, app, secret, "node-b", ports, 1, pg.url()))) {
        Calls.eventually(Duration.ofSeconds(20), () -> assertThat(owner(b)).isEqualTo("node-a"));
        ApiClient api = b.client();
        String token = api.login("admin", TestApp.ADMIN_PASSWORD);
        List<String> ids = place(List.of(api, a.client()), token);

        Instant down = Instant.now();
        pg.stop();
        Calls.awaitDatabaseUnavailable(api, token, ids.get(0));
        Thread.sleep(Math.max(0, DatabaseOutageTest.OUTAGE.toMillis()
            - Duration.between(down, Instant.now()).toMillis()));
        farther.refuseFor(3_000);
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
        System.out.printf("%s: %d calls, database down %d ms: %d wrong, %d stuck, talk times %s%n",
            "ClusterDatabaseOutageIT", ids.size(), Duration.between(down, up).toMillis(), wrong.size(), stuck,
            DatabaseOutageTest.talkTimes(pg.url()));
        assertThat(wrong).as("calls stored wrong after the outage").isEmpty();
        assertThat(stuck).as("calls still active 30 s after the outage").isZero();
        assertThat(TestDatabase.queryLong(pg.url(), "SELECT count(*) FROM call_events WHERE to_status = 'dialing'"))
            .as("each call dialled once").isEqualTo(ids.size());
        Calls.eventually(Duration.ofSeconds(20), () -> assertThat(owner(b)).isEqualTo("node-a"));
      }
    }
  }

  private static Map<String, String> nodeEnv(TestAsterisk asterisk, String app, String secret, String name,
      int[] ports, int index, String databaseUrl) {
    Map<String, String> env = asterisk.serviceEnv(app);
    env.put("ARI_ENDPOINT_TEMPLATE", "Local/{digits}@callee-slow/n");
    env.put("SECRET_KEY", secret);
    env.put("DATABASE_URL", databaseUrl);
    env.put("NODE_NAME", name);
    env.put("CLUSTER_ENABLED", "true");
    env.put("CLUSTER_NAME", app);
    env.put("CLUSTER_HOST", "127.0.0.1");
    env.put("CLUSTER_PORT", String.valueOf(ports[index]));
    env.put("CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1]);
    env.put("SHUTDOWN_GRACE_SECONDS", "2");
    return env;
  }

  /** The node owning the one server, as {@code node} sees it (null: none confirmed). */
  private static String owner(TestApp node) {
    JsonObject all = node.app().vertx().eventBus().<JsonObject>request(EventBusAddresses.CLUSTER_OWNERSHIP,
        new JsonObject()).await().body();
    JsonObject server = all.getJsonArray("servers").getJsonObject(0);
    return "owner".equals(server.getString("role")) || "standby".equals(server.getString("role"))
        ? server.getString("owner_node") : null;
  }

  /** Places the calls from ten threads, alternating the entry nodes; their ids in number order. */
  private static List<String> place(List<ApiClient> entries, String token) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<Future<String>> placed = new ArrayList<>();
      for (int i = 0; i < CALLS; i++) {
        ApiClient entry = entries.get(i % entries.size());
        String number = String.format("+1557%05d0", i);
        placed.add(pool.submit(() -> Calls.place(entry, token, new JsonObject().put("phone_number", number))));
      }
      List<String> ids = new ArrayList<>();
      for (Future<String> id : placed) {
        ids.add(id.get(30, TimeUnit.SECONDS));
      }
      return ids;
    } finally {
      pool.shutdownNow();
    }
  }
}
