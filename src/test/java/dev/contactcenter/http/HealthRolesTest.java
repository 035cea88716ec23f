package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.ARI_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.DB_PING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.lifecycle.ShutdownGate;
import dev.contactcenter.support.ApiClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * /health's role per Asterisk server and the readiness rule, with the components it asks standing in on the bus:
 * the database answering or not, and this node's ownership (what the ARI side answers on {@code cluster.ownership}).
 * Every response is checked against openapi.yaml by the API client.
 */
@DisplayName("/health: the node's role per Asterisk server, and when a node is ready")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthRolesTest {

  private Vertx vertx;
  private HttpServer server;
  private ApiClient api;
  private final AtomicBoolean databaseUp = new AtomicBoolean(true);
  /** The ownership reply; null: nobody answers on cluster.ownership. */
  private final AtomicReference<JsonObject> ownership = new AtomicReference<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(DB_PING, msg -> {
      if (databaseUp.get()) {
        msg.reply(new JsonObject().put("latency_ms", 0.4));
      } else {
        msg.fail(503, "database unavailable");
      }
    });
    vertx.eventBus().<JsonObject>consumer(ARI_STATUS, msg -> msg.reply(new JsonObject().put("connected", true)
        .put("detail", "connected to ARI")));
    vertx.eventBus().<JsonObject>consumer(CLUSTER_STATUS, msg -> msg.reply(new JsonObject().put("name", "node-a")
        .put("clustered", true).put("cluster_name", "cc").put("members", new JsonArray()
            .add(new JsonObject().put("name", "node-a").put("address", "127.0.0.1:5701"))
            .add(new JsonObject().put("name", "node-b").put("address", "127.0.0.1:5702")))));
    vertx.eventBus().<JsonObject>consumer(CLUSTER_OWNERSHIP, msg -> {
      JsonObject answer = ownership.get();
      if (answer == null) {
        msg.fail(503, "not yet");
      } else {
        msg.reply(answer);
      }
    });
    HealthHandler health = new HealthHandler(vertx.eventBus(), false, "test", ShutdownGate.of(vertx));
    Router router = Router.router(vertx);
    router.get("/health").handler(health::health);
    router.get("/health/ready").handler(health::ready);
    server = get(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    api = new ApiClient("http://127.0.0.1:" + server.actualPort());
  }

  @AfterEach
  void stop() throws Exception {
    get(vertx.close());
  }

  @Test
  @DisplayName("the node block lists each server with this node's role, the owner's node, and the epoch it owns under")
  void rolesPerServer() {
    ownership.set(new JsonObject().put("node", "node-a").put("servers", new JsonArray()
        .add(new JsonObject().put("server", "pbx-1").put("role", "owner").put("epoch", 7).put("owner_node", "node-a"))
        .add(new JsonObject().put("server", "pbx-2").put("role", "standby").put("epoch", 3).put("owner_node", "node-b"))
        .add(new JsonObject().put("server", "pbx-3").put("role", "unowned"))));
    ApiClient.Response health = api.get("/health", null);
    assertThat(health.status()).isEqualTo(200);
    JsonObject node = health.json().getJsonObject("node");
    assertThat(node.getString("name")).isEqualTo("node-a");
    assertThat(node.getJsonArray("members")).hasSize(2);
    assertThat(node.getJsonArray("servers")).isEqualTo(new JsonArray()
        .add(new JsonObject().put("server", "pbx-1").put("role", "owner").put("epoch", 7L).put("owner_node", "node-a"))
        .add(new JsonObject().put("server", "pbx-2").put("role", "standby").put("owner_node", "node-b"))
        .add(new JsonObject().put("server", "pbx-3").put("role", "unowned")));
  }

  @Test
  @DisplayName("without an ownership answer the roles are left out and nothing else changes")
  void noOwnershipAnswer() {
    ApiClient.Response health = api.get("/health", null);
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.json().getJsonObject("node").fieldNames()).doesNotContain("servers")
        .contains("name", "members");
    assertThat(api.get("/health/ready", null).status()).isEqualTo(200);
  }

  @Test
  @DisplayName("no database and no server owned: not ready (503 + Retry-After); owning a server keeps it ready")
  void readiness() {
    databaseUp.set(false);
    ownership.set(new JsonObject().put("node", "node-a").put("servers", new JsonArray()
        .add(new JsonObject().put("server", "pbx-1").put("role", "standby").put("epoch", 2).put("owner_node", "node-b"))));
    ApiClient.Response standby = api.get("/health/ready", null);
    assertThat(standby.status()).isEqualTo(503);
    assertThat(standby.header("Retry-After")).isNotNull();
    assertThat(standby.json().getString("status")).isEqualTo("degraded");

    ownership.set(null);
    assertThat(api.get("/health/ready", null).status()).as("single process, database down").isEqualTo(503);

    ownership.set(new JsonObject().put("node", "node-a").put("servers", new JsonArray()
        .add(new JsonObject().put("server", "pbx-1").put("role", "owner").put("epoch", 2).put("owner_node", "node-a"))));
    assertThat(api.get("/health/ready", null).status()).as("owner, database unreachable from the pool")
        .isEqualTo(200);
    assertThat(api.get("/health", null).status()).as("/health still needs the database").isEqualTo(503);

    databaseUp.set(true);
    ownership.set(new JsonObject().put("node", "node-a").put("servers", new JsonArray()));
    assertThat(api.get("/health/ready", null).status()).as("database up, nothing owned").isEqualTo(200);
  }

  private static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
