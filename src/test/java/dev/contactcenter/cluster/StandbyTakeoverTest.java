package dev.contactcenter.cluster;

import dev.contactcenter.support.TempDirs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two standalone services pointed at one Asterisk (here the ARI sandbox, started by the test) and one database: the
 * second stands by instead of taking the event stream, says so in /health, places no call; when the first stops, it
 * takes the server over, follows the call in progress and hangs it up.
 */
@DisplayName("Standalone services on one Asterisk: one owns, the other stands by and takes over")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StandbyTakeoverTest {

  private static final Duration WITHIN = Duration.ofSeconds(15);

  private StandaloneAri ari;
  private TestApp first;
  private TestApp second;

  @AfterEach
  void stopAll() throws Exception {
    for (TestApp app : new TestApp[] {second, first}) {
      if (app != null) {
        app.close();
      }
    }
    if (ari != null) {
      ari.close();
    }
  }

  @Test
  @DisplayName("second service stands by (health says who owns), takes over on stop, follows and hangs up the call")
  void standbyThenTakeover() throws Exception {
    ari = StandaloneAri.start("standby-secret");
    Map<String, String> env = ari.serviceEnv();
    env.put("SHUTDOWN_GRACE_SECONDS", "2");
    env.put("NODE_NAME", "node-a");
    first = TestApp.start(env);
    ApiClient api = first.client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);
    String held = Calls.place(api, admin, new JsonObject().put("phone_number", "+15550000800")
        .put("extension", "hold"));
    JsonObject answered = Calls.awaitStatus(api, admin, held, "answered", WITHIN);
    assertThat(answered.getString("server")).isEqualTo("default");

    Map<String, String> secondEnv = new HashMap<>(env);
    secondEnv.put("NODE_NAME", "node-b");
    secondEnv.put("DATA_DIR", TempDirs.create("cc-test-data").toString());
    second = TestApp.start(secondEnv);
    ApiClient standby = second.client();
    assertThat(ownershipOf(second)).isEqualTo(new JsonObject().put("server", "default").put("role", "standby")
        .put("epoch", 0L).put("owner_node", "node-a"));
    JsonObject health = standby.get("/health", null).json();
    assertThat(health.getJsonObject("checks").getJsonObject("asterisk").getString("detail"))
        .contains("owned by node node-a").contains("stands by");
    String token = standby.login("admin", TestApp.ADMIN_PASSWORD);
    var refused = standby.post("/api/v2/calls", token, new JsonObject().put("phone_number", "+15550000800"));
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.header("Retry-After")).isNotNull();
    assertThat(TestDatabase.queryLong(first.databaseUrl(), "SELECT count(*) FROM calls")).as("nothing stored")
        .isEqualTo(1);
    // The owner kept the stream: the held call is still followed by node-a.
    assertThat(Calls.get(api, admin, held).getString("status")).isEqualTo("answered");

    first.close();
    first = null;
    Calls.eventually(WITHIN, () -> assertThat(ownershipOf(second)).isEqualTo(new JsonObject()
        .put("server", "default").put("role", "owner").put("epoch", 2L).put("owner_node", "node-b")));
    Calls.eventually(WITHIN, () -> assertThat(standby.get("/health", null).status()).isEqualTo(200));
    assertThat(standby.post("/api/v2/calls/" + held + "/hangup", token, null).status()).isEqualTo(202);
    JsonObject ended = Calls.awaitFinal(standby, token, held, WITHIN);
    assertThat(ended.getString("status")).isEqualTo("completed");
    assertThat(TestDatabase.queryLong(second.databaseUrl(), "SELECT owner_epoch FROM calls WHERE id = '" + held + "'"))
        .as("written by the new owner under its epoch").isEqualTo(2);
  }

  private static JsonObject ownershipOf(TestApp app) {
    JsonObject all = app.app().vertx().eventBus().<JsonObject>request(EventBusAddresses.CLUSTER_OWNERSHIP,
        new JsonObject()).await().body();
    return all.getJsonArray("servers").getJsonObject(0);
  }
}
