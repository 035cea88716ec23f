package dev.contactcenter.ari;

import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.CallTimeouts;
import dev.contactcenter.support.TestApp;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After a database outage the node takes its server back under a new epoch while the transitions it observed during
 * the outage are still being written: one stamped with the old epoch and refused as stale is this node's own, true
 * observation, not a sign that another node owns the server. Seen under load in DatabaseOutageTest: such a refusal
 * made the node give the server up, the ARI verticle's 58 pending transitions (answers and ends) were dropped, and
 * the restarted verticle settled all 30 calls as failed, "outcome unknown". The database is real (the V6 fencing
 * trigger decides), so is the persistence verticle.
 */
@DisplayName("A transition stamped just before the node took its server back is written under the new epoch")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EpochRenewalTest {

  private static final String SERVER = "renewal-drill";

  private TestApp app;

  @BeforeEach
  void start() throws Exception {
    app = TestApp.start();
  }

  @AfterEach
  void stop() throws Exception {
    app.close();
  }

  @Test
  @DisplayName("refused as stale, written again under the renewed epoch; the node is not fenced")
  void staleStampAfterRenewal() throws Exception {
    String db = app.databaseUrl();
    TestDatabase.execute(db, "INSERT INTO asterisk_server_owners (server, owner_node, epoch) VALUES ('" + SERVER
        + "', 'this-node', 7)");
    Vertx vertx = app.app().vertx();
    String callId = UUID.randomUUID().toString();
    vertx.eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject()
        .put("call_id", callId).put("owner", "admin").put("phone_number", "+15550000903").put("server", SERVER)
        .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30_000)
        .put("variables", new JsonObject()).put("request_hash", "renewal-" + callId)).await();
    // The node took the server back: the database's epoch moved on before the node hears of it.
    TestDatabase.execute(db, "UPDATE asterisk_server_owners SET epoch = 8 WHERE server = '" + SERVER + "'");

    OwnerEpoch owner = new OwnerEpoch(SERVER, 7);
    AtomicInteger fenced = new AtomicInteger();
    Promise<TransitionOutcome> written = Promise.promise();
    vertx.runOnContext(v -> {
      TransitionRecorder recorder = new TransitionRecorder(vertx, new CallTimeouts(2_000), owner, () -> { },
          fenced::incrementAndGet);
      Future<TransitionOutcome> dialing = recorder.record(TransitionCommand.of(callId, CallState.DIALING,
          Instant.now(), CallOriginator.SOURCE).withChannel(callId));
      // Stamped with epoch 7 and on its way; the renewal arrives before the database's answer.
      owner.renew(8);
      dialing.onComplete(written);
    });

    TransitionOutcome outcome = written.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(outcome.applied()).isTrue();
    assertThat(fenced.get()).as("the node gave up its server").isZero();
    assertThat(TestDatabase.queryString(db, "SELECT status || '/' || owner_epoch FROM calls WHERE id = '" + callId
        + "'")).isEqualTo("dialing/8");
  }
}
