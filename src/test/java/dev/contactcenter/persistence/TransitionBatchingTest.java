package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Transitions arriving together are applied in few multi-row statements, each still guarded and ordered")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransitionBatchingTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private static final int CALLS = 300;

  private Vertx vertx;
  private String db;
  private PersistenceVerticle persistence;
  private String deployment;

  @BeforeEach
  void deploy() {
    vertx = Vertx.vertx();
    db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
    TestDatabase.execute(db, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms)"
        + " SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'alice', '+1555' || i,"
        + " 'outbound-ivr', 's', 1, 30000 FROM generate_series(1, " + CALLS + ") i");
    persistence = new PersistenceVerticle(DatabaseUrl.parse(db), 4);
    deployment = vertx.deployVerticle(persistence).await();
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static String callId(int i) {
    return String.format("00000000-0000-0000-0000-%012d", i);
  }

  private Future<JsonObject> send(String callId, CallState to, int second) {
    TransitionCommand command = TransitionCommand.of(callId, to, T0.plusSeconds(second), "test");
    return vertx.eventBus().<JsonObject>request(CALLS_TRANSITION, command.toJson()).map(Message::body);
  }

  @Test
  @DisplayName("every call's four transitions, all sent at once: applied in order, timelined, published after commit")
  void manyCallsAtOnce() throws Exception {
    Map<String, List<String>> published = new ConcurrentHashMap<>();
    List<String> notYetStored = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(CALL_STATUS_ALL, msg -> {
      String id = msg.body().getString("call_id");
      String status = msg.body().getString("status");
      published.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(status);
      // What is published is committed: another connection sees it already (checked for a sample).
      if (id.endsWith("7") && TestDatabase.queryLong(db, "SELECT count(*) FROM call_events"
          + " WHERE call_id = '" + id + "' AND to_status = '" + status + "'") != 1) {
        notYetStored.add(id + " " + status);
      }
    });
    List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
    persistence.ownContext().runOnContext(v -> {
      for (int i = 1; i <= CALLS; i++) {
        // All four of a call in one go, without waiting: the batcher alone keeps them in order.
        replies.add(send(callId(i), CallState.DIALING, 0));
        replies.add(send(callId(i), CallState.RINGING, 1));
        replies.add(send(callId(i), CallState.ANSWERED, 2));
        replies.add(send(callId(i), CallState.COMPLETED, 5));
      }
    });
    while (replies.size() < CALLS * 4) {
      Thread.sleep(10);
    }
    Future.all(replies).await();

    assertThat(replies).allSatisfy(r -> assertThat(r.result().getBoolean("applied")).isTrue());
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'completed'"
        + " AND duration_seconds = 3 AND dialed_at = '2026-01-01T10:00:00Z' AND ringing_at = '2026-01-01T10:00:01Z'"))
        .isEqualTo(CALLS);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM (SELECT call_id, string_agg(from_status || '>'"
        + " || to_status, ' ' ORDER BY id) AS path FROM call_events GROUP BY call_id) p"
        + " WHERE path = 'pending>dialing dialing>ringing ringing>answered answered>completed'")).isEqualTo(CALLS);
    // The consumer checks a sample against the database as it goes, so its deliveries may trail the replies.
    long deadline = System.currentTimeMillis() + 20_000;
    while (published.values().stream().mapToInt(List::size).sum() < CALLS * 4
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(published).hasSize(CALLS);
    assertThat(published.values()).allSatisfy(statuses ->
        assertThat(statuses).containsExactly("dialing", "ringing", "answered", "completed"));
    assertThat(notYetStored).isEmpty();
    TransitionBatcher batcher = persistence.transitions();
    assertThat(batcher.submitted()).isEqualTo(CALLS * 4L);
    assertThat(batcher.statements()).as("statements for %d transitions", CALLS * 4)
        .isLessThanOrEqualTo(CALLS * 4 / 20);
  }

  @Test
  @DisplayName("the batch statement runs on connections that plan it once (generic plan); other statements plan as usual")
  void batchConnectionsUseGenericPlans() throws Exception {
    assertThat(persistence.transitionPool().query("SHOW plan_cache_mode").execute().await().iterator().next()
        .getString(0)).isEqualTo("force_generic_plan");
    assertThat(TestDatabase.queryString(db, "SHOW plan_cache_mode")).isEqualTo("auto");
    // Ten small batches: with the default plan cache mode the first five executions at least get custom plans.
    for (int round = 0; round < 10; round++) {
      int first = round * 3 + 1;
      List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
      persistence.ownContext().runOnContext(v -> {
        for (int i = first; i < first + 3; i++) {
          replies.add(send(callId(i), CallState.DIALING, 0));
        }
      });
      while (replies.size() < 3) {
        Thread.sleep(1);
      }
      Future.all(replies).await();
    }
    long custom = 0;
    long generic = 0;
    List<SqlConnection> connections = List.of(persistence.transitionPool().getConnection().await(),
        persistence.transitionPool().getConnection().await());
    for (SqlConnection connection : connections) {
      Row plans = connection.query("SELECT COALESCE(sum(custom_plans), 0), COALESCE(sum(generic_plans), 0)"
          + " FROM pg_prepared_statements WHERE statement LIKE 'WITH input AS%'").execute().await().iterator().next();
      custom += plans.getLong(0);
      generic += plans.getLong(1);
      connection.close().await();
    }
    assertThat(generic).as("batch executions with the generic plan").isGreaterThanOrEqualTo(10);
    assertThat(custom).as("batch executions planned for their arrays").isZero();
  }

  @Test
  @DisplayName("stale and duplicate transitions in a batch are refused one by one; the others still apply")
  void guardPerRow() {
    Future.all(List.of(send(callId(1), CallState.DIALING, 0), send(callId(2), CallState.BUSY, 0))).await();
    List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
    persistence.ownContext().runOnContext(v -> {
      replies.add(send(callId(1), CallState.DIALING, 3));     // duplicate: refused
      replies.add(send(callId(2), CallState.RINGING, 3));     // after a final state: refused
      replies.add(send(callId(3), CallState.COMPLETED, 3));   // completed never answered: refused
      replies.add(send(callId(4), CallState.FAILED, 3));      // applies
      replies.add(send("00000000-0000-0000-0000-999999999999", CallState.FAILED, 3)); // no such call
    });
    while (replies.size() < 5) {
      Thread.onSpinWait();
    }
    Future.all(replies).await();
    assertThat(replies.stream().map(r -> r.result().getBoolean("applied")).toList())
        .containsExactly(false, false, false, true, false);
    assertThat(TestDatabase.queryString(db, "SELECT status FROM calls WHERE id = '" + callId(3) + "'"))
        .isEqualTo("pending");
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM call_events")).isEqualTo(3);
  }

  @Test
  @DisplayName("a transition the database rejects with an error fails alone; the rest of its batch is stored")
  void oneErrorDoesNotFailTheBatch() {
    TestDatabase.execute(db, "CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF NEW.failure_reason = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;"
        + " CREATE TRIGGER refuse_boom BEFORE UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION refuse_boom()");
    List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
    persistence.ownContext().runOnContext(v -> {
      for (int i = 1; i <= 20; i++) {
        TransitionCommand command = TransitionCommand.of(callId(i), CallState.FAILED, T0, "test")
            .withFailure(i == 7 ? "boom" : "no route");
        replies.add(vertx.eventBus().<JsonObject>request(CALLS_TRANSITION, command.toJson()).map(Message::body));
      }
    });
    while (replies.size() < 20) {
      Thread.onSpinWait();
    }
    Future.all(replies.stream().map(Future::otherwiseEmpty).toList()).await();
    for (int i = 0; i < 20; i++) {
      assertThat(replies.get(i).succeeded()).as("transition %d", i + 1).isEqualTo(i != 6);
    }
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'failed'")).isEqualTo(19);
  }

  @Test
  @DisplayName("dialing, ringing and answered update the call in place (HOT): no index of calls gets a new entry")
  void statusChangesAreHotUpdates() throws Exception {
    for (CallState state : List.of(CallState.DIALING, CallState.RINGING, CallState.ANSWERED)) {
      List<Future<JsonObject>> replies = new ArrayList<>();
      for (int i = 1; i <= 100; i++) {
        replies.add(send(callId(i), state, state.ordinal()));
      }
      Future.all(replies).await();
      assertThat(replies).allSatisfy(r -> assertThat(r.result().getBoolean("applied")).isTrue());
    }
    // A backend reports its statistics when it ends (an idle one only every few seconds): close the pool.
    vertx.undeploy(deployment).await();
    long deadline = System.currentTimeMillis() + 10_000;
    long updates = 0;
    while (System.currentTimeMillis() < deadline && updates < 300) {
      Thread.sleep(200);
      updates = TestDatabase.queryLong(db, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'calls'");
    }
    long hot = TestDatabase.queryLong(db, "SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'calls'");
    assertThat(updates).isEqualTo(300);
    System.out.println("HOT updates: " + hot + " of " + updates);
    assertThat(hot).as("HOT updates of 300 (none before V9)").isGreaterThanOrEqualTo(150);
    assertThat(TestDatabase.explain(db, "SELECT id FROM calls WHERE ended_at IS NULL AND status IN "
        + CallState.activeSqlList())).as("calls in progress come from a partial index").containsPattern("calls_(server_)?active_idx");
  }
}
