package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_CREATE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Creations arriving together are admitted and inserted by few statements, limits and keys still exact")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CreationBatchingTest {

  private Vertx vertx;
  private String db;
  private PersistenceVerticle persistence;

  @BeforeEach
  void deploy() {
    vertx = Vertx.vertx();
    db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash)"
        + " SELECT u, 'x' FROM unnest(ARRAY['alice', 'bob', 'carol', 'dave']) u");
    persistence = new PersistenceVerticle(DatabaseUrl.parse(db), 4);
    vertx.deployVerticle(persistence).await();
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static JsonObject row(String owner, int concurrent, int daily) {
    return new JsonObject().put("call_id", UUID.randomUUID().toString()).put("owner", owner)
        .put("phone_number", "+15551234567").put("context", "outbound-ivr").put("extension", "s").put("priority", 1)
        .put("timeout", 30000).put("variables", new JsonObject().put("n", owner)).put("request_hash", "h")
        .put("limits", new JsonObject().put("concurrent_calls", concurrent).put("calls_per_day", daily));
  }

  private Future<JsonObject> create(JsonObject row) {
    return vertx.eventBus().<JsonObject>request(CALLS_CREATE, row).map(Message::body);
  }

  /**
   * Sends what {@code requests} adds within one turn of the persistence verticle's context (so all reach the batcher
   * before its flush), then waits for every answer, success or not.
   */
  private List<Future<JsonObject>> atOnce(int expected, Consumer<List<Future<JsonObject>>> requests) throws Exception {
    List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
    persistence.ownContext().runOnContext(v -> requests.accept(replies));
    while (replies.size() < expected) {
      Thread.sleep(5);
    }
    Future.join(replies).otherwiseEmpty().await();
    return replies;
  }

  private static long created(List<Future<JsonObject>> replies) {
    return replies.stream().filter(r -> r.succeeded() && r.result().getBoolean("created")).count();
  }

  private static List<String> refusals(List<Future<JsonObject>> replies) {
    return replies.stream().filter(r -> r.succeeded() && r.result().containsKey("refused"))
        .map(r -> r.result().getJsonObject("refused").getString("limit")).toList();
  }

  @Test
  @DisplayName("400 creations of 4 owners sent at once: all stored once, in a handful of statements")
  void manyCreationsFewStatements() throws Exception {
    List<String> owners = List.of("alice", "bob", "carol", "dave");
    List<Future<JsonObject>> replies = atOnce(400, out -> {
      for (int i = 0; i < 400; i++) {
        out.add(create(row(owners.get(i % 4), 1_000, 10_000)));
      }
    });
    assertThat(replies).allSatisfy(r -> assertThat(r.succeeded()).isTrue());
    assertThat(created(replies)).isEqualTo(400);
    assertThat(replies.stream().map(r -> r.result().getJsonObject("call").getString("call_id")).distinct())
        .hasSize(400);
    // Each row got its own values (the arrays of the statement line up).
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE variables ->> 'n' = owner"
        + " AND retry_on = '{}' AND status_callback_events IS NULL AND status = 'pending'")).isEqualTo(400);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls")).isEqualTo(400);
    assertThat(TestDatabase.queryLong(db, "SELECT count(DISTINCT owner) FROM calls")).isEqualTo(4);
    CreationBatcher batcher = persistence.creations();
    assertThat(batcher.submitted()).isEqualTo(400);
    assertThat(batcher.statements()).as("statements for 400 creations").isLessThanOrEqualTo(20);
    // The usage each owner's next admission sees: 100 calls in progress, 100 today.
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(DISTINCT refused_limit, ',') FROM calls_admit_batch("
        + "ARRAY['alice', 'bob', 'carol', 'dave'], ARRAY['pending', 'pending', 'pending', 'pending'],"
        + " ARRAY[100, 100, 100, 100], ARRAY[10000, 10000, 10000, 10000])")).isEqualTo("concurrent_calls");
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(username || '=' || active || '/' || recent, ','"
        + " ORDER BY username) FROM user_usage")).isEqualTo("alice=100/100,bob=100/100,carol=100/100,dave=100/100");
  }

  @Test
  @DisplayName("a batch straddling the limits: exactly the free slots taken, in arrival order, the rest refused")
  void batchStraddlesTheLimits() throws Exception {
    List<JsonObject> alice = new CopyOnWriteArrayList<>();
    List<Future<JsonObject>> replies = atOnce(60, out -> {
      for (int i = 0; i < 30; i++) {
        JsonObject call = row("alice", 5, 1_000);
        alice.add(call);
        out.add(create(call));
        out.add(create(row("bob", 1_000, 7)));
      }
    });
    List<Future<JsonObject>> ofAlice = replies.stream().filter((r -> replies.indexOf(r) % 2 == 0)).toList();
    List<Future<JsonObject>> ofBob = replies.stream().filter((r -> replies.indexOf(r) % 2 == 1)).toList();
    assertThat(created(ofAlice)).isEqualTo(5);
    // The first five sent are the ones admitted.
    for (int i = 0; i < 30; i++) {
      assertThat(ofAlice.get(i).result().getBoolean("created")).as("alice's call %d", i).isEqualTo(i < 5);
    }
    assertThat(refusals(ofAlice)).hasSize(25).containsOnly("concurrent_calls");
    assertThat(ofAlice.get(29).result().getJsonObject("refused").getInteger("limit_value")).isEqualTo(5);
    assertThat(created(ofBob)).isEqualTo(7);
    assertThat(refusals(ofBob)).hasSize(23).containsOnly("calls_per_day");
    JsonObject daily = ofBob.get(29).result().getJsonObject("refused");
    assertThat(daily.getInteger("limit_value")).isEqualTo(7);
    assertThat(daily.getInteger("retry_after")).isBetween(86_000, 86_400);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE owner = 'alice'")).isEqualTo(5);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE owner = 'bob'")).isEqualTo(7);
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(id::text, ',' ORDER BY id) FROM calls"
        + " WHERE owner = 'alice'")).isEqualTo(alice.subList(0, 5).stream().map(c -> c.getString("call_id"))
        .sorted().reduce((a, b) -> a + "," + b).orElseThrow());
    assertThat(persistence.creations().statements()).isLessThanOrEqualTo(3);
  }

  @Test
  @DisplayName("two owners in one batch: the one at its limit refused, the other admitted")
  void oneOwnerRefusedTheOtherAdmitted() throws Exception {
    Future.all(List.of(create(row("carol", 2, 1_000)), create(row("carol", 2, 1_000)))).await();
    long before = persistence.creations().statements();
    List<Future<JsonObject>> replies = atOnce(4, out -> {
      out.add(create(row("carol", 2, 1_000)));
      out.add(create(row("dave", 2, 1_000)));
      out.add(create(row("carol", 2, 1_000)));
      out.add(create(row("dave", 2, 1_000)));
    });
    assertThat(persistence.creations().statements() - before).as("one statement for the four").isEqualTo(1);
    assertThat(replies.stream().map(r -> r.result().getBoolean("created")).toList())
        .containsExactly(false, true, false, true);
    assertThat(refusals(replies)).containsExactly("concurrent_calls", "concurrent_calls");
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE owner = 'carol'")).isEqualTo(2);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE owner = 'dave'")).isEqualTo(2);
  }

  @Test
  @DisplayName("queued calls in a batch take no slot of their own, get their queue position, and count per day")
  void queuedCallsInABatch() throws Exception {
    List<Future<JsonObject>> replies = atOnce(6, out -> {
      for (String status : List.of("queued", "pending", "queued", "pending", "queued", "pending")) {
        JsonObject call = row("alice", 2, 5).put("status", status);
        if ("queued".equals(status)) {
          call.put("max_queue_seconds", 60);
        } else {
          call.put("retry", new JsonObject().put("max_attempts", 3).put("on", List.of("busy", "no_answer"))
              .put("delay_seconds", 30)).put("status_callback", "https://example.test/cb")
              .put("status_callback_events", List.of("ringing", "completed"));
        }
        out.add(create(call));
      }
    });
    // Two in progress fill the concurrent limit: the fifth (queued) and sixth are refused as single ones would be.
    assertThat(replies.stream().map(r -> r.result().getBoolean("created")).toList())
        .containsExactly(true, true, true, true, false, false);
    assertThat(refusals(replies)).containsExactly("concurrent_calls", "concurrent_calls");
    assertThat(replies.get(0).result().getLong("queue_position")).isPositive();
    assertThat(replies.get(2).result().getLong("queue_position")).isPositive();
    assertThat(replies.get(2).result().getJsonObject("call").getString("status")).isEqualTo("queued");
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'queued'"
        + " AND queue_expires_at > now() + interval '50 seconds'")).isEqualTo(2);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE status = 'pending'"
        + " AND retry_max_attempts = 3 AND retry_on = '{busy,no_answer}' AND retry_delay_seconds = 30"
        + " AND status_callback_events = '{ringing,completed}' AND queue_expires_at IS NULL")).isEqualTo(2);
    // A queued call is not in progress: once one pending call ends, the next creation fits again.
    TestDatabase.execute(db, "UPDATE calls SET status = 'failed', ended_at = now()"
        + " WHERE id = (SELECT id FROM calls WHERE status = 'pending' LIMIT 1)");
    assertThat(create(row("alice", 2, 5)).await().getBoolean("created")).isTrue();
    JsonObject daily = create(row("alice", 3, 5)).await();
    assertThat(daily.getJsonObject("refused").getString("limit")).isEqualTo("calls_per_day");
  }

  @Test
  @DisplayName("the same idempotency key sent many times at once: one call stored, the others replay it or get 422")
  void sameKeyNeverSharesAStatement() throws Exception {
    List<Future<JsonObject>> replies = atOnce(11, out -> {
      for (int i = 0; i < 10; i++) {
        out.add(create(row("alice", 100, 1_000).put("idempotency_key", "k1")));
      }
      out.add(create(row("alice", 100, 1_000).put("idempotency_key", "k1").put("request_hash", "other")));
    });
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls")).isEqualTo(1);
    String stored = TestDatabase.queryString(db, "SELECT id::text FROM calls");
    assertThat(created(replies)).isEqualTo(1);
    assertThat(replies.subList(0, 10)).allSatisfy(r -> assertThat(r.result().getJsonObject("call")
        .getString("call_id")).isEqualTo(stored));
    assertThat(replies.get(0).result().getBoolean("created")).as("the first one sent inserts").isTrue();
    assertThat(replies.get(10).failed()).isTrue();
    assertThat(((ReplyException) replies.get(10).cause()).failureCode()).isEqualTo(422);
  }

  @Test
  @DisplayName("a call the database rejects fails alone; the others of its statement are stored")
  void oneErrorDoesNotFailTheBatch() throws Exception {
    List<Future<JsonObject>> replies = atOnce(20, out -> {
      for (int i = 0; i < 20; i++) {
        // No such user: the foreign key refuses that one row, and with it the whole first statement.
        out.add(create(row(i == 7 ? "mallory" : "alice", 100, 1_000)));
      }
    });
    for (int i = 0; i < 20; i++) {
      assertThat(replies.get(i).succeeded()).as("creation %d", i).isEqualTo(i != 7);
    }
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls")).isEqualTo(19);
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls WHERE owner = 'mallory'")).isZero();
  }

  @Test
  @DisplayName("two nodes' batches and single creations of one owner at once never exceed its limit")
  void concurrentBatchesShareTheLimit() throws Exception {
    PersistenceVerticle second = new PersistenceVerticle(DatabaseUrl.parse(db), 4);
    vertx.deployVerticle(second).await();
    List<Future<JsonObject>> replies = atOnce(300, out -> {
      for (int i = 0; i < 300; i++) {
        // Local consumers of two verticles take turns: two batchers, two pools, statements racing for alice.
        out.add(create(row("alice", 37, 10_000)));
      }
    });
    assertThat(created(replies)).isEqualTo(37);
    assertThat(refusals(replies)).hasSize(263).containsOnly("concurrent_calls");
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM calls")).isEqualTo(37);
    assertThat(second.creations().submitted()).isPositive();
    assertThat(persistence.creations().submitted()).isPositive();
  }
}
