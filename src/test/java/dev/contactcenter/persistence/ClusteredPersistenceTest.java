package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.DB_PING;
import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.LoopbackCluster;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two clustered nodes, each with its persistence verticle; node B's cannot reach its database. Each node's database
 * requests must be served by its own persistence verticle: node A never fails because the clustered bus handed
 * its request to B (nor would it wait on B once B is dead), and node B never hides its outage behind A.
 */
@DisplayName("Database requests stay on their node in a cluster")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusteredPersistenceTest {

  private final List<Vertx> started = new ArrayList<>();

  @AfterEach
  void stop() {
    started.forEach(vertx -> vertx.close().await());
  }

  @Test
  @DisplayName("20 requests on node A all succeed, 6 on node B (database unreachable) all fail with 503")
  void requestsAreServedByTheirOwnNode() throws Exception {
    String database = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(database));
    String unreachable = "postgresql://nobody:secret@127.0.0.1:" + freePort() + "/nothing";
    int portA = freePort();
    int portB = freePort();
    Vertx a = join("node-a", portA, portA, portB);
    Vertx b = join("node-b", portB, portA, portB);
    a.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(database), 2)).await();
    b.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(unreachable), 2)).await();

    List<Future<JsonObject>> onA = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      onA.add(a.eventBus().<JsonObject>request(i % 2 == 0 ? USERS_LIST : DB_PING, new JsonObject())
          .map(reply -> reply.body()));
    }
    List<Future<JsonObject>> onB = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      onB.add(b.eventBus().<JsonObject>request(i % 2 == 0 ? USERS_LIST : DB_PING, new JsonObject())
          .map(reply -> reply.body()));
    }
    Future.join(onA).eventually(() -> Future.join(onB)).otherwiseEmpty().await(60, TimeUnit.SECONDS);

    assertThat(onA).as("node A's requests").allMatch(Future::succeeded);
    assertThat(onB).as("node B's requests").allMatch(Future::failed);
    assertThat(onB).allSatisfy(failed -> assertThat(((ReplyException) failed.cause()).failureCode()).isEqualTo(503));
  }

  @Test
  @DisplayName("a transition sent as an object (local codec) is applied by its own node, answered as an object,"
      + " and its status publication reaches the other node as plain JSON")
  void localTransitionObjectsStayOnTheirNode() throws Exception {
    String database = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(database));
    TestDatabase.execute(database, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
    String callId = "00000000-0000-0000-0000-000000000042";
    TestDatabase.execute(database, "INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
        + " timeout_ms) VALUES ('" + callId + "', 'alice', '+15551234567', 'outbound-ivr', 's', 1, 30000)");
    String unreachable = "postgresql://nobody:secret@127.0.0.1:" + freePort() + "/nothing";
    int portA = freePort();
    int portB = freePort();
    Vertx a = join("node-a", portA, portA, portB);
    Vertx b = join("node-b", portB, portA, portB);
    a.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(database), 2)).await();
    b.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(unreachable), 2)).await();
    CompletableFuture<Object> seenOnB = new CompletableFuture<>();
    b.eventBus().consumer(CALL_STATUS_ALL, msg -> seenOnB.complete(msg.body())).completion().await();

    TransitionCommand dialing = TransitionCommand.of(callId, CallState.DIALING, Instant.now(), "ari")
        .ownedBy("default", 0);
    Object reply = a.eventBus().request(CALLS_TRANSITION, dialing, LocalCodec.LOCAL).await(30, TimeUnit.SECONDS).body();

    assertThat(reply).isInstanceOf(TransitionOutcome.class);
    TransitionOutcome outcome = (TransitionOutcome) reply;
    assertThat(outcome.applied()).isTrue();
    assertThat(outcome.call().getString("status")).isEqualTo("dialing");
    Object published = seenOnB.get(30, TimeUnit.SECONDS);
    assertThat(published).isInstanceOf(JsonObject.class);
    assertThat(((JsonObject) published).getString("status")).isEqualTo("dialing");
    assertThat(((JsonObject) published).getString("previous_status")).isEqualTo("pending");
    assertThat(TestDatabase.queryLong(database, "SELECT count(*) FROM call_events WHERE call_id = '" + callId
        + "' AND to_status = 'dialing'")).isEqualTo(1);
  }

  private Vertx join(String name, int port, int... memberPorts) {
    Vertx vertx = LoopbackCluster.join("cc-db-" + memberPorts[0], name, port, memberPorts);
    started.add(vertx);
    return vertx;
  }

  private static int freePort() throws IOException {
    return LoopbackCluster.freePort();
  }
}
