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
import java.util.ArrayList;
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
 * The recorder writes a call's transitions one write after another; those observed while a write is in flight (or
 * while the originate's outcome is not known yet) go together in the next one, as one statement. Which ones were
 * stored together shows in the timeline: the rows of one statement share its transaction id.
 */
@DisplayName("Transitions observed while a call's write is in flight are stored together, in order")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransitionChainingTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private TestApp app;
  private Vertx vertx;
  private String db;

  @BeforeEach
  void start() throws Exception {
    app = TestApp.start();
    vertx = app.app().vertx();
    db = app.databaseUrl();
  }

  @AfterEach
  void stop() throws Exception {
    app.close();
  }

  private String newCall() {
    String callId = UUID.randomUUID().toString();
    vertx.eventBus().request(EventBusAddresses.CALLS_CREATE, new JsonObject()
        .put("call_id", callId).put("owner", "admin").put("phone_number", "+15550000904")
        .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30_000)
        .put("variables", new JsonObject()).put("request_hash", "chain-" + callId)).await();
    return callId;
  }

  private static TransitionCommand step(String callId, CallState to, int second) {
    return TransitionCommand.of(callId, to, T0.plusSeconds(second), CallOriginator.SOURCE);
  }

  /** Each timeline entry of the call as "from>to", those stored by one statement joined by "+", statements by " ". */
  private String statements(String callId) {
    return TestDatabase.queryString(db, "SELECT string_agg(steps, ' ' ORDER BY first) FROM (SELECT min(id) AS first,"
        + " string_agg(from_status || '>' || to_status, '+' ORDER BY id) AS steps FROM call_events"
        + " WHERE call_id = '" + callId + "' GROUP BY xmin::text) s");
  }

  private List<TransitionOutcome> await(List<Future<TransitionOutcome>> outcomes) throws Exception {
    CompletableFuture<List<TransitionOutcome>> all = new CompletableFuture<>();
    vertx.runOnContext(v -> Future.all(outcomes).onComplete(done -> {
      List<TransitionOutcome> results = new ArrayList<>();
      outcomes.forEach(f -> results.add(f.result()));
      all.complete(results);
    }));
    return all.get(30, TimeUnit.SECONDS);
  }

  /** Records the transitions one after another in one turn of a new recorder's loop; their outcomes once stored. */
  private List<TransitionOutcome> recordAtOnce(TransitionCommand... steps) throws Exception {
    List<Future<TransitionOutcome>> outcomes = new ArrayList<>();
    CompletableFuture<Void> recorded = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      TransitionRecorder recorder = new TransitionRecorder(vertx, new CallTimeouts(2_000), () -> { });
      for (TransitionCommand step : steps) {
        outcomes.add(recorder.record(step));
      }
      recorded.complete(null);
    });
    recorded.get(10, TimeUnit.SECONDS);
    return await(outcomes);
  }

  @Test
  @DisplayName("events that arrive before the originate's answer: the whole call in one statement")
  void beforeTheOriginateAnswer() throws Exception {
    String callId = newCall();
    List<Future<TransitionOutcome>> outcomes = new ArrayList<>();
    CompletableFuture<Void> queued = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      TransitionRecorder recorder = new TransitionRecorder(vertx, new CallTimeouts(2_000), () -> { });
      Promise<TransitionCommand> placed = Promise.promise();
      outcomes.add(recorder.record(callId, placed.future()));
      outcomes.add(recorder.record(step(callId, CallState.RINGING, 1)));
      outcomes.add(recorder.record(step(callId, CallState.ANSWERED, 2)));
      outcomes.add(recorder.record(step(callId, CallState.COMPLETED, 6).withCause(16, "Normal Clearing")
          .withAnsweredAt(T0.plusSeconds(2))));
      vertx.setTimer(50, id -> {
        placed.complete(step(callId, CallState.DIALING, 0).withChannel(callId));
        queued.complete(null);
      });
    });
    queued.get(10, TimeUnit.SECONDS);
    assertThat(await(outcomes)).extracting(TransitionOutcome::applied).containsExactly(true, true, true, true);
    assertThat(statements(callId))
        .isEqualTo("pending>dialing+dialing>ringing+ringing>answered+answered>completed");
    assertThat(TestDatabase.queryLong(db, "SELECT duration_seconds FROM calls WHERE id = '" + callId + "'"))
        .isEqualTo(4);
  }

  @Test
  @DisplayName("a write in flight: what arrives meanwhile goes in the next statement, together")
  void behindAWriteInFlight() throws Exception {
    String callId = newCall();
    assertThat(recordAtOnce(step(callId, CallState.DIALING, 0).withChannel(callId),
        step(callId, CallState.RINGING, 1), step(callId, CallState.ANSWERED, 2), step(callId, CallState.COMPLETED, 3))).extracting(TransitionOutcome::applied).containsExactly(true, true, true, true);
    assertThat(statements(callId)).isEqualTo("pending>dialing dialing>ringing+ringing>answered+answered>completed");
  }

  @Test
  @DisplayName("a step that may not follow starts the next statement and meets the guard on its own")
  void stepThatMayNotFollow() throws Exception {
    String callId = newCall();
    // Completed without an answer, stored or carried: the guard refuses it, and it must not ride on ringing.
    assertThat(recordAtOnce(step(callId, CallState.DIALING, 0).withChannel(callId),
        step(callId, CallState.RINGING, 1), step(callId, CallState.COMPLETED, 3),
        step(callId, CallState.NO_ANSWER, 30).withCause(19, "No answer"))).extracting(TransitionOutcome::applied).containsExactly(true, true, false, true);
    assertThat(statements(callId)).isEqualTo("pending>dialing dialing>ringing ringing>no_answer");
    assertThat(TestDatabase.queryString(db, "SELECT status FROM calls WHERE id = '" + callId + "'"))
        .isEqualTo("no_answer");
  }
}
