package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionChain;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("A chain of one call's transitions is stored by one statement, exactly as one at a time would be")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransitionChainStoreTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private static final String CALL = "00000000-0000-0000-0000-000000000001";

  private Vertx vertx;
  private String db;
  private PersistenceVerticle persistence;
  private final List<JsonObject> published = new CopyOnWriteArrayList<>();

  @BeforeEach
  void deploy() {
    vertx = Vertx.vertx();
    LocalCodec.register(vertx);
    db = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(db));
    TestDatabase.execute(db, "INSERT INTO users (username, password_hash) VALUES ('alice', 'x')");
    // A status callback for every status, so the outbox writes a payload for each step.
    TestDatabase.execute(db, "INSERT INTO calls (id, owner, phone_number, context, extension, priority, timeout_ms,"
        + " status_callback, status_callback_events) VALUES ('" + CALL + "', 'alice', '+15550001', 'outbound-ivr', 's',"
        + " 1, 30000, 'http://127.0.0.1:9/cb', ARRAY['dialing', 'ringing', 'answered', 'completed'])");
    persistence = new PersistenceVerticle(DatabaseUrl.parse(db), 4);
    vertx.deployVerticle(persistence).await();
    vertx.eventBus().<JsonObject>consumer(CALL_STATUS_ALL, msg -> published.add(msg.body()));
  }

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private static TransitionCommand step(CallState to, int second) {
    return TransitionCommand.of(CALL, to, T0.plusSeconds(second), "ari");
  }

  private List<TransitionOutcome> store(TransitionCommand... steps) {
    return vertx.eventBus().<TransitionChain.Outcomes>request(CALLS_TRANSITION, new TransitionChain(List.of(steps)),
        LocalCodec.LOCAL).map(Message::body).await().steps();
  }

  private void awaitPublished(int count) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (published.size() < count && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    assertThat(published).hasSize(count);
  }

  @Test
  @DisplayName("dialing to completed: one statement, four timeline entries, each step published as it left the call")
  void wholeCall() throws Exception {
    long statements = persistence.transitions().statements();
    List<TransitionOutcome> outcomes = store(step(CallState.DIALING, 0).withChannel("chan-1"),
        step(CallState.RINGING, 1), step(CallState.ANSWERED, 2),
        step(CallState.COMPLETED, 5).withCause(16, "Normal Clearing").withAnsweredAt(T0.plusSeconds(2)));

    assertThat(outcomes).extracting(TransitionOutcome::applied).containsExactly(true, true, true, true);
    assertThat(persistence.transitions().statements() - statements).isEqualTo(1);
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(from_status || '>' || to_status || '@'"
        + " || extract(epoch FROM at - '2026-01-01T10:00:00Z')::int, ' ' ORDER BY id) FROM call_events"))
        .isEqualTo("pending>dialing@0 dialing>ringing@1 ringing>answered@2 answered>completed@5");
    assertThat(TestDatabase.queryLong(db, "SELECT count(DISTINCT xmin::text) FROM call_events")).isEqualTo(1);
    assertThat(TestDatabase.queryString(db, "SELECT status || ' ' || channel_id || ' ' || duration_seconds || ' '"
        + " || hangup_cause || ' ' || (dialed_at = '2026-01-01T10:00:00Z') || (ringing_at = '2026-01-01T10:00:01Z')"
        + " || (answered_at = '2026-01-01T10:00:02Z') || (ended_at = '2026-01-01T10:00:05Z') FROM calls"))
        .isEqualTo("completed chan-1 3 16 truetruetruetrue");

    awaitPublished(4);
    assertThat(published).extracting(p -> p.getString("previous_status") + ">" + p.getString("status"))
        .containsExactly("pending>dialing", "dialing>ringing", "ringing>answered", "answered>completed");
    assertThat(published).extracting(p -> p.getString("at")).containsExactly("2026-01-01T10:00:00Z",
        "2026-01-01T10:00:01Z", "2026-01-01T10:00:02Z", "2026-01-01T10:00:05Z");
    JsonObject dialing = published.get(0);
    assertThat(dialing.getString("channel")).isEqualTo("chan-1");
    assertThat(dialing.getString("dialed_at")).isEqualTo("2026-01-01T10:00:00Z");
    assertThat(dialing.getString("ringing_at")).isNull();
    JsonObject ringing = published.get(1);
    assertThat(ringing.getString("ringing_at")).isEqualTo("2026-01-01T10:00:01Z");
    assertThat(ringing.getString("answered_at")).isNull();
    JsonObject answered = published.get(2);
    assertThat(answered.getString("answered_at")).isEqualTo("2026-01-01T10:00:02Z");
    for (JsonObject inProgress : published.subList(0, 3)) {
      assertThat(inProgress.getBoolean("is_active")).isTrue();
      assertThat(inProgress.getValue("ended_at")).isNull();
      assertThat(inProgress.getValue("duration")).isNull();
      assertThat(inProgress.getValue("hangup_cause")).isNull();
      assertThat(inProgress.getValue("hangup_cause_text")).isNull();
    }
    JsonObject completed = published.get(3);
    assertThat(completed.getBoolean("is_active")).isFalse();
    assertThat(completed.getInteger("duration")).isEqualTo(3);
    assertThat(completed.getInteger("hangup_cause")).isEqualTo(16);
    assertThat(completed.getString("ended_at")).isEqualTo("2026-01-01T10:00:05Z");

    // The outbox's payload of each step: end details only on the final one.
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(payload->'data'->>'status' || ':'"
        + " || coalesce(payload->'data'->>'duration', '-') || ':' || coalesce(payload->'data'->>'hangup_cause', '-')"
        + " || ':' || coalesce(payload->'data'->>'channel', '-'), ' ' ORDER BY event_id) FROM webhook_deliveries"))
        .isEqualTo("dialing:-:-:chan-1 ringing:-:-:chan-1 answered:-:-:chan-1 completed:3:16:chan-1");
  }

  @Test
  @DisplayName("the guard refuses the first step: the rest apply as they would have one at a time")
  void firstStepRefused() throws Exception {
    assertThat(store(step(CallState.DIALING, 0).withChannel("chan-1"), step(CallState.RINGING, 1)))
        .extracting(TransitionOutcome::applied).containsExactly(true, true);
    // A repeated ringing, then what followed it.
    List<TransitionOutcome> outcomes = store(step(CallState.RINGING, 1), step(CallState.ANSWERED, 2),
        step(CallState.COMPLETED, 4));
    assertThat(outcomes).extracting(TransitionOutcome::applied).containsExactly(false, true, true);
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(from_status || '>' || to_status, ' ' ORDER BY id)"
        + " FROM call_events")).isEqualTo("pending>dialing dialing>ringing ringing>answered answered>completed");
    assertThat(TestDatabase.queryLong(db, "SELECT duration_seconds FROM calls")).isEqualTo(2);
    awaitPublished(4);
    assertThat(published.get(2).getString("previous_status")).isEqualTo("ringing");
    assertThat(published.get(2).getValue("duration")).isNull();
  }

  @Test
  @DisplayName("a chain the call's state allows nothing of changes nothing")
  void wholeChainRefused() throws Exception {
    assertThat(store(step(CallState.FAILED, 0).withFailure("test"))).extracting(TransitionOutcome::applied)
        .containsExactly(true);
    assertThat(store(step(CallState.DIALING, 1), step(CallState.RINGING, 2), step(CallState.ANSWERED, 3)))
        .extracting(TransitionOutcome::applied).containsExactly(false, false, false);
    assertThat(TestDatabase.queryString(db, "SELECT string_agg(to_status, ' ') FROM call_events")).isEqualTo("failed");
    assertThat(TestDatabase.queryString(db, "SELECT status FROM calls")).isEqualTo("failed");
  }
}
