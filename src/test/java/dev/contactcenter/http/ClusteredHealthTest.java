package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.ARI_STATUS;
import static dev.contactcenter.bus.EventBusAddresses.DB_PING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.lifecycle.ShutdownGate;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.ApiClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two clustered Vert.x nodes, one of which cannot reach the database: its readiness must say so every time, not
 * whenever the clustered bus happens to route its database ping to the healthy node's persistence component.
 */
@DisplayName("/health/ready on a clustered node reports this node's own database access")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusteredHealthTest {

  private final List<Vertx> started = new ArrayList<>();

  @AfterEach
  void stop() {
    started.forEach(vertx -> vertx.close().await());
  }

  @Test
  @DisplayName("node B without database: 10 of 10 readiness checks answer 503 while node A answers 200")
  void readinessIsPerNode() throws Exception {
    int portA = freePort();
    int portB = freePort();
    Vertx a = join("node-a", portA, portA, portB);
    Vertx b = join("node-b", portB, portA, portB);
    a.eventBus().<JsonObject>consumer(DB_PING, msg -> msg.reply(new JsonObject().put("latency_ms", 0.3)))
        .completion().await();
    b.eventBus().<JsonObject>consumer(DB_PING, msg -> msg.fail(503, "database unavailable")).completion().await();
    for (Vertx node : List.of(a, b)) {
      node.eventBus().<JsonObject>consumer(ARI_STATUS, msg -> msg.reply(new JsonObject().put("connected", true)
          .put("detail", "connected to ARI"))).completion().await();
    }
    ApiClient apiA = serve(a);
    ApiClient apiB = serve(b);

    for (int i = 0; i < 10; i++) {
      assertThat(apiB.get("/health/ready", null).status()).as("node B, check %d", i).isEqualTo(503);
      assertThat(apiA.get("/health/ready", null).status()).as("node A, check %d", i).isEqualTo(200);
    }
  }

  private static ApiClient serve(Vertx vertx) {
    HealthHandler health = new HealthHandler(vertx.eventBus(), false, "test", ShutdownGate.of(vertx));
    Router router = Router.router(vertx);
    router.get("/health").handler(health::health);
    router.get("/health/ready").handler(health::ready);
    int port = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await().actualPort();
    return new ApiClient("http://127.0.0.1:" + port);
  }

  private Vertx join(String name, int port, int... memberPorts) {
    Vertx vertx = LoopbackCluster.join("cc-health-" + memberPorts[0], name, port, memberPorts);
    started.add(vertx);
    return vertx;
  }

  private static int freePort() throws IOException {
    return LoopbackCluster.freePort();
  }
}
