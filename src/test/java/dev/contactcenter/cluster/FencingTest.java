package dev.contactcenter.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.bus.OriginateCommand;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.metrics.ServiceMetrics;
import dev.contactcenter.persistence.PersistenceVerticle;
import dev.contactcenter.sandbox.SandboxTiming;
import dev.contactcenter.support.Calls;
import dev.contactcenter.support.StandaloneAri;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stale owner (paused or cut off while another node took its server over) must not overwrite its successor: its
 * next state write is refused by the database's epoch check, and it stops owning the server.
 */
@DisplayName("Fencing: a superseded owner's transition is refused (CCF01) and the runtime stands by again")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FencingTest {

  /** A heartbeat that never comes in the test's time: only the write can find out that the epoch moved. */
  private static final OwnershipTiming SLOW_HEARTBEAT = new OwnershipTiming(200, 600_000, 1_200_000);
  private static final Duration WITHIN = Duration.ofSeconds(15);

  private String url;
  private Vertx vertx;
  private StandaloneAri asterisk;
  private ServerRuntimes runtimes;
  private Connection usurper;

  @BeforeEach
  void start() throws Exception {
    url = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(url));
    TestDatabase.execute(url, "INSERT INTO users (username, password_hash, role) VALUES ('admin', 'x', 'admin')");
    vertx = Vertx.vertx();
    vertx.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(url), 4)).await();
    asterisk = StandaloneAri.start("ari", "secret", SandboxTiming.defaults());
    runtimes = ServerRuntimes.start(vertx,
        List.of(new ServerRuntimes.Server("default", asterisk.settings("cc-fencing"))),
        PgConnectOptions.fromUri(url), "node-a", SLOW_HEARTBEAT, ServiceMetrics.create(false).calls(), false)
        .await();
  }

  @AfterEach
  void stop() throws Exception {
    if (usurper != null) {
      usurper.close();
    }
    vertx.close().await();
    if (asterisk != null) {
      asterisk.close();
    }
  }

  @Test
  @DisplayName("take-over at epoch+1: the old owner's write is refused, it drops the server, the row keeps the new state")
  void staleOwnerIsFenced() throws Exception {
    assertThat(ownership()).isEqualTo(new JsonObject().put("server", "default").put("role", "owner").put("epoch", 1L)
        .put("owner_node", "node-a"));
    String callId = UUID.randomUUID().toString();
    vertx.eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject().put("call_id", callId)
        .put("owner", "admin").put("phone_number", "+15550000800").put("context", "outbound-ivr")
        .put("extension", "s").put("priority", 1).put("timeout", 30_000).put("variables", new JsonObject())
        .put("request_hash", "x").put("server", "default")).await();

    // Another node takes the server over as ServerOwnership does (epoch + 1), then waits for the lock, which the
    // stale owner's session still holds.
    usurper = DriverManager.getConnection(DatabaseUrl.parse(url).jdbcUrl(), DatabaseUrl.parse(url).user(),
        DatabaseUrl.parse(url).password());
    try (Statement s = usurper.createStatement()) {
      s.execute("UPDATE asterisk_server_owners SET epoch = epoch + 1, owner_node = 'node-b' WHERE server = 'default'");
    }
    CompletableFuture<Void> lockTaken = CompletableFuture.runAsync(() -> {
      try (Statement s = usurper.createStatement()) {
        s.execute("SELECT pg_advisory_lock(ownership_lock_class(), lock_id) FROM asterisk_server_owners"
            + " WHERE server = 'default'");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    // The stale owner still believes it owns the server and places the call: its 'dialing' write is refused.
    OriginateCommand originate = new OriginateCommand(callId, "+15550000800", "outbound-ivr", "s", 1, 30_000, null,
        new JsonObject());
    vertx.eventBus().request(EventBusAddresses.ariOriginateOn("default"), originate.toJson()).await();

    lockTaken.get(10, TimeUnit.SECONDS);
    Calls.eventually(WITHIN, () -> assertThat(ownership()).isEqualTo(new JsonObject().put("server", "default")
        .put("role", "standby").put("epoch", 0L).put("owner_node", "node-b")));
    assertThat(runtimes.owned()).isEmpty();
    // No ARI verticle for the server on this node any more.
    Throwable noHandler = vertx.eventBus().request(EventBusAddresses.ariStatusOf("default"), new JsonObject())
        .transform(done -> io.vertx.core.Future.succeededFuture(done.cause())).await();
    assertThat(noHandler).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) noHandler).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
    assertThat(row(callId, "status")).isEqualTo("pending");
    assertThat(row(callId, "owner_epoch")).isNull();

    // The new owner's write (epoch 2) is accepted and stays.
    JsonObject byNewOwner = vertx.eventBus().<JsonObject>request(EventBusAddresses.CALLS_TRANSITION, new JsonObject()
        .put("call_id", callId).put("status", "dialing").put("at", Instant.now().toString()).put("source", "ari")
        .put("server", "default").put("owner_epoch", 2L)).await().body();
    assertThat(byNewOwner.getBoolean("applied")).isTrue();
    assertThat(row(callId, "status")).isEqualTo("dialing");
    assertThat(row(callId, "owner_epoch")).isEqualTo("2");
    assertThat(TestDatabase.queryLong(url, "SELECT count(*) FROM call_events WHERE call_id = '" + callId + "'"))
        .as("only the new owner's transition is in the timeline").isEqualTo(1);
  }

  @Test
  @DisplayName("the stale epoch is refused by the database with its own failure, never retried as an outage")
  void persistenceRepliesFenced() throws Exception {
    String callId = UUID.randomUUID().toString();
    vertx.eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject().put("call_id", callId)
        .put("owner", "admin").put("phone_number", "+15550000800").put("context", "outbound-ivr")
        .put("extension", "s").put("priority", 1).put("timeout", 30_000).put("variables", new JsonObject())
        .put("request_hash", "x").put("server", "default")).await();
    Throwable refused = vertx.eventBus().request(EventBusAddresses.CALLS_TRANSITION, new JsonObject()
            .put("call_id", callId).put("status", "dialing").put("at", Instant.now().toString()).put("source", "ari")
            .put("server", "default").put("owner_epoch", 7L))
        .transform(done -> io.vertx.core.Future.succeededFuture(done.cause())).await();
    assertThat(refused).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) refused).failureCode()).isEqualTo(dev.contactcenter.bus.BusError.FENCED.code());
    assertThat(row(callId, "status")).isEqualTo("pending");
  }

  private JsonObject ownership() {
    return vertx.eventBus().<JsonObject>request(EventBusAddresses.CLUSTER_OWNERSHIP, new JsonObject()).await().body()
        .getJsonArray("servers").getJsonObject(0);
  }

  private String row(String callId, String column) throws Exception {
    DatabaseUrl db = DatabaseUrl.parse(url);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + column + " FROM calls WHERE id = '" + callId + "'")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
