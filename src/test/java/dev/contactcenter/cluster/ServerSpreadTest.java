package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.support.ApiClient;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.FreePorts;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestApp;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One service, two Asterisk servers from ASTERISK_SERVERS (two ARI sandboxes started by the test), weights 1 and 3. */
@DisplayName("Several Asterisk servers: each call goes to one by weight, shows it, and is hung up through it")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerSpreadTest {

  private static final Duration WITHIN = Duration.ofSeconds(15);

  private final List<StandaloneAri> asterisks = new ArrayList<>();
  private TestApp app;

  @AfterEach
  void stopAll() throws Exception {
    if (app != null) {
      app.close();
    }
    asterisks.forEach(StandaloneAri::close);
  }

  private int sandbox() {
    StandaloneAri ari = StandaloneAri.start("spread-secret");
    asterisks.add(ari);
    return ari.port();
  }

  private static JsonObject server(String name, int port, int weight) {
    return new JsonObject().put("name", name).put("ari_url", "http://127.0.0.1:" + port)
        .put("username", StandaloneAri.USER).put("password", "spread-secret")
        .put("endpoint_template", StandaloneAri.LOCAL_ENDPOINT).put("weight", weight);
  }

  @Test
  @DisplayName("8 held calls: both servers get calls, the heavier 3x more; list filters by server; hang-up reaches it")
  void callsSpreadByWeight() throws Exception {
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("ARI_SANDBOX");
    env.put("ASTERISK_SERVERS", new JsonArray().add(server("ast-1", sandbox(), 1)).add(server("ast-2", sandbox(), 3))
        .encode());
    app = TestApp.start(env);
    JsonArray roles = app.app().vertx().eventBus().<JsonObject>request(EventBusAddresses.CLUSTER_OWNERSHIP,
        new JsonObject()).await().body().getJsonArray("servers");
    assertThat(roles.stream().map(r -> ((JsonObject) r).getString("role")).toList()).containsExactly("owner", "owner");
    ApiClient api = app.client();
    Calls.eventually(WITHIN, () -> assertThat(api.get("/health", null).status()).isEqualTo(200));
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      ids.add(Calls.place(api, admin, new JsonObject().put("phone_number", "+155500009" + i + "0")
          .put("extension", "hold")));
    }
    Map<String, Long> perServer = ids.stream().map(id -> Calls.awaitStatus(api, admin, id, "answered", WITHIN))
        .collect(Collectors.groupingBy(call -> call.getString("server"), Collectors.counting()));
    // (active + 1) / weight, ties to the heavier: 2 and 6 exactly, unless a load reading lands mid-burst.
    assertThat(perServer.get("ast-1")).isBetween(1L, 3L);
    assertThat(perServer.get("ast-1") + perServer.get("ast-2")).isEqualTo(8);

    JsonArray onFirst = api.get("/api/v2/calls?server=ast-1&limit=100", admin).json().getJsonArray("items");
    assertThat(onFirst).hasSize(2);
    assertThat(onFirst.stream().map(c -> ((JsonObject) c).getString("server")).distinct().toList())
        .containsExactly("ast-1");

    for (String id : ids) {
      assertThat(api.post("/api/v2/calls/" + id + "/hangup", admin, null).status()).isEqualTo(202);
    }
    for (String id : ids) {
      assertThat(Calls.awaitFinal(api, admin, id, WITHIN).getString("status")).isEqualTo("completed");
    }
  }

  @Test
  @DisplayName("a server whose owner cannot reach its Asterisk gets no new call while the other server can take it")
  void ariUnreachableServerGetsNoCall() throws Exception {
    int deadPort = FreePorts.next();
    Map<String, String> env = TestApp.defaultEnv();
    env.remove("ARI_SANDBOX");
    // The unreachable one is the heavier: by weight alone it would take most calls.
    env.put("ASTERISK_SERVERS", new JsonArray().add(server("ast-up", sandbox(), 1))
        .add(server("ast-down", deadPort, 5)).encode());
    app = TestApp.start(env);
    Vertx vertx = app.app().vertx();
    Calls.eventually(WITHIN, () -> assertThat(vertx.eventBus().<JsonObject>request(
        EventBusAddresses.ariStatusOf("ast-up"), new JsonObject()).await().body().getBoolean("connected")).isTrue());
    assertThat(vertx.eventBus().<JsonObject>request(EventBusAddresses.ariStatusOf("ast-down"), new JsonObject())
        .await().body().getBoolean("connected")).isFalse();
    ApiClient api = app.client();
    String admin = api.login("admin", TestApp.ADMIN_PASSWORD);

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(Calls.place(api, admin, new JsonObject().put("phone_number", "+155500008" + i + "0")
          .put("extension", "hold")));
    }
    for (String id : ids) {
      JsonObject call = Calls.awaitStatus(api, admin, id, "answered", WITHIN);
      assertThat(call.getString("server")).isEqualTo("ast-up");
    }
    assertThat(api.get("/api/v2/calls?server=ast-down&limit=100", admin).json().getJsonArray("items")).isEmpty();
    for (String id : ids) {
      assertThat(api.post("/api/v2/calls/" + id + "/hangup", admin, null).status()).isEqualTo(202);
    }
  }
}
