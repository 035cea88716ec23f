package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The webhook outbox trigger (V16) returns at once only when no event of the statement can be wanted: every
 * subscription still gets its deliveries, whether one call of a batch has a callback, an owner has an endpoint, or
 * an event was written without saying whether its call has a callback.
 */
@DisplayName("Webhook outbox: skipped for statements nobody subscribed to, every subscription still served")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebhookOutboxGuardTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private static final int CALLS = 12;

  private Vertx vertx;
  private String db;
  private PersistenceVerticle persistence;

  @BeforeEach
  void deploy() {
    vertx = Vertx.vertx();
    db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x'), ('bob', 'x')");
    // Calls 1-6 of alice, 7-12 of bob; call 3 alone has a status callback (every status).
    TestDatabase.execute(db, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms,"
        + " status_callback, status_callback_events)"
        + " SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, CASE WHEN i <= 6 THEN 'alice'"
        + " ELSE 'bob' END, '+1555' || i, 'outbound-ivr', 's', 1, 30000,"
        + " CASE WHEN i = 3 THEN 'https://example.test/cb' END,"
        + " CASE WHEN i = 3 THEN ARRAY['dialing', 'failed'] END FROM generate_series(1, " + CALLS + ") i");
    persistence = new PersistenceVerticle(DatabaseUrl.parse(db), 4);
    vertx.deployVerticle(persistence).await();
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static String callId(int i) {
    return String.format("00000000-0000-0000-0000-%012d", i);
  }

  /** The calls' transitions to {@code to}, sent in one turn of the persistence context (one batch statement). */
  private void together(CallState to, int... calls) throws Exception {
    List<Future<JsonObject>> replies = new CopyOnWriteArrayList<>();
    persistence.ownContext().runOnContext(v -> {
      for (int i : calls) {
        TransitionCommand command = TransitionCommand.of(callId(i), to, T0, "test");
        replies.add(vertx.eventBus().<JsonObject>request(CALLS_TRANSITION, command.toJson()).map(Message::body));
      }
    });
    while (replies.size() < calls.length) {
      Thread.sleep(1);
    }
    Future.all(replies).await();
    assertThat(replies).allSatisfy(r -> assertThat(r.result().getBoolean("applied")).isTrue());
  }

  private long deliveries(String where) {
    return TestDatabase.queryLong(db, "SELECT count(*) FROM webhook_deliveries WHERE " + where);
  }

  @Test
  @DisplayName("no callback, no endpoint: nothing queued, and each event notes that its call has no callback")
  void nobodySubscribed() throws Exception {
    together(CallState.DIALING, 1, 2, 4, 5, 7, 8);
    together(CallState.FAILED, 1, 2, 4, 5, 7, 8);
    assertThat(deliveries("true")).isZero();
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM call_events WHERE callback = false")).isEqualTo(12);
  }

  @Test
  @DisplayName("one call of a batch has a callback: its events are queued, the others' are not")
  void oneCallbackInABatch() throws Exception {
    together(CallState.DIALING, 1, 2, 3, 4);
    together(CallState.RINGING, 1, 2, 3, 4);
    together(CallState.FAILED, 1, 2, 3, 4);
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(payload -> 'data' ->> 'status', ',' ORDER BY event_id)"
        + " FROM webhook_deliveries WHERE stream = 'callback' AND call_id = '" + callId(3) + "'"))
        .isEqualTo("dialing,failed");
    assertThat(deliveries("call_id <> '" + callId(3) + "'")).isZero();
    assertThat(TestDatabase.queryLong(db, "SELECT count(*) FROM call_events WHERE callback")).isEqualTo(3);
  }

  @Test
  @DisplayName("an owner's enabled endpoint gets that owner's events; a disabled one nothing")
  void endpointOfOneOwner() throws Exception {
    TestDatabase.execute(db, "INSERT INTO webhook_endpoints (id, owner, url, events, enabled, secret) VALUES"
        + " ('10000000-0000-0000-0000-000000000001', 'bob', 'https://example.test/bob', ARRAY['dialing'], true, 's'),"
        + " ('10000000-0000-0000-0000-000000000002', 'alice', 'https://example.test/a', ARRAY['dialing'], false, 's')");
    together(CallState.DIALING, 1, 2, 7, 8);
    assertThat(deliveries("endpoint_id = '10000000-0000-0000-0000-000000000001'")).isEqualTo(2);
    assertThat(deliveries("owner = 'alice'")).isZero();
  }

  @Test
  @DisplayName("events written without the note (callback NULL) are looked at as before")
  void eventWithoutTheNote() {
    List<String> statements = new ArrayList<>();
    statements.add("UPDATE calls SET status = 'dialing' WHERE id = '" + callId(3) + "'");
    statements.add("INSERT INTO call_events (call_id, from_status, to_status, source, at)"
        + " VALUES ('" + callId(3) + "', 'pending', 'dialing', 'test', now())");
    statements.forEach(sql -> TestDatabase.execute(db, sql));
    assertThat(deliveries("stream = 'callback' AND call_id = '" + callId(3) + "'")).isEqualTo(1);
  }
}
