package dev.contactcenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.SlowConnectProxy;
import dev.contactcenter.support.StoppablePostgres;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestAsterisk;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
        List<String> ids = OutageChecks.placeConcurrently(List.of(api, a.client()), token, CALLS, "557");

        Instant down = Instant.now();
        pg.stop();
        Calls.awaitDatabaseUnavailable(api, token, ids.get(0));
        Thread.sleep(Math.max(0, DatabaseOutageTest.OUTAGE.toMillis()
            - Duration.between(down, Instant.now()).toMillis()));
        farther.refuseFor(3_000);
        Instant up = Instant.now();
        pg.startAgain();

        OutageChecks.assertStoredTruly("ClusterDatabaseOutageIT", pg.url(), api, token, ids, down, up, down, up);
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
}
