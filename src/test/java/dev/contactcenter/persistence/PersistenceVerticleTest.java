package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_EVENTS;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_GET;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_TRANSITION;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ENDED;
import static dev.contactcenter.bus.EventBusAddresses.USERS_CHANGED;
import static dev.contactcenter.bus.EventBusAddresses.USERS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_LIST;
import static dev.contactcenter.bus.EventBusAddresses.USERS_UPDATE;
import static dev.contactcenter.bus.EventBusAddresses.USERS_FIND;
import static dev.contactcenter.bus.EventBusAddresses.callStatusOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.db.Migrations;
import dev.contactcenter.support.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@DisplayName("The persistence verticle, alone, over the event bus")
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PersistenceVerticleTest {

  private static final String HASH = "$2a$04$abcdefghijklmnopqrstuuN0aYcW1x4Q8m2Qx2o0J6b0aZ8q1E3xe";
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private String databaseUrl;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext testContext) {
    databaseUrl = TestDatabase.freshDatabaseUrl();
    Migrations.migrate(DatabaseUrl.parse(databaseUrl));
    vertx.deployVerticle(new PersistenceVerticle(DatabaseUrl.parse(databaseUrl), 4))
        .onComplete(testContext.succeedingThenComplete());
  }

  private static Future<JsonObject> request(Vertx vertx, String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body).map(Message::body);
  }

  private static Future<JsonObject> createUser(Vertx vertx, String username) {
    return request(vertx, USERS_CREATE, new JsonObject().put("username", username).put("password_hash", HASH)
        .put("role", "user"));
  }

  private static Future<String> createCall(Vertx vertx, String owner) {
    String callId = UUID.randomUUID().toString();
    JsonObject row = new JsonObject().put("call_id", callId).put("owner", owner).put("phone_number", "+15551234567")
        .put("context", "outbound-ivr").put("extension", "s").put("priority", 1).put("timeout", 30000)
        .put("caller_id", null).put("variables", new JsonObject()).put("idempotency_key", null)
        .put("request_hash", "h");
    return request(vertx, CALLS_CREATE, row).map(created -> {
      assertThat(created.getBoolean("created")).isTrue();
      assertThat(created.getJsonObject("call").getString("status")).isEqualTo("pending");
      return callId;
    });
  }

  private static Future<JsonObject> transition(Vertx vertx, String callId, CallState to, int secondsAfterT0) {
    TransitionCommand command = TransitionCommand.of(callId, to, T0.plusSeconds(secondsAfterT0), "test");
    return request(vertx, CALLS_TRANSITION, command.toJson());
  }

  private static Future<JsonArray> events(Vertx vertx, String callId) {
    return request(vertx, CALLS_EVENTS, new JsonObject().put("call_id", callId).put("owner", "alice"))
        .map(reply -> reply.getJsonArray("events"));
  }

  private static Future<String> ringingCall(Vertx vertx) {
    return createUser(vertx, "alice").compose(user -> createCall(vertx, "alice")).compose(callId ->
        transition(vertx, callId, CallState.DIALING, 0)
            .compose(r -> transition(vertx, callId, CallState.RINGING, 1))
            .map(r -> callId));
  }

  @Test
  @DisplayName("creates a user, refuses a duplicate with 409, finds it with its hash, and not an unknown one")
  void users(Vertx vertx, VertxTestContext testContext) {
    createUser(vertx, "alice")
        .onSuccess(created -> testContext.verify(() -> {
          assertThat(created.getString("username")).isEqualTo("alice");
          assertThat(created.getString("role")).isEqualTo("user");
          assertThat(created.getBoolean("disabled")).isFalse();
          assertThat(created.containsKey("password_hash")).isFalse();
        }))
        .compose(created -> createUser(vertx, "alice").map(dup -> (Throwable) null).recover(Future::succeededFuture))
        .onSuccess(failure -> testContext.verify(() -> {
          assertThat(failure).isInstanceOf(ReplyException.class);
          assertThat(((ReplyException) failure).failureCode()).isEqualTo(409);
        }))
        .compose(v -> request(vertx, USERS_FIND, new JsonObject().put("username", "alice")))
        .onSuccess(found -> testContext.verify(() -> {
          assertThat(found.getJsonObject("user").getString("password_hash")).isEqualTo(HASH);
          assertThat(found.getJsonObject("user").getString("role")).isEqualTo("user");
        }))
        .compose(v -> request(vertx, USERS_FIND, new JsonObject().put("username", "nobody")))
        .onSuccess(found -> testContext.verify(() -> {
          assertThat(found.getJsonObject("user")).isNull();
          testContext.completeNow();
        }))
        .onFailure(testContext::failNow);
  }

  @Test
  @DisplayName("disabling a user publishes users.changed, marks it disabled, and an unknown user is 404")
  void disable(Vertx vertx, VertxTestContext testContext) {
    Checkpoint published = testContext.checkpoint();
    Checkpoint replied = testContext.checkpoint();
    createUser(vertx, "alice")
        .compose(created -> vertx.eventBus().<JsonObject>consumer(USERS_CHANGED, msg -> {
          if (msg.body().getBoolean("disabled", false)) {
            testContext.verify(() -> assertThat(msg.body().getString("username")).isEqualTo("alice"));
            published.flag();
          }
        }).completion())
        .compose(v -> request(vertx, USERS_UPDATE, new JsonObject().put("username", "alice").put("disabled", true)))
        .compose(v -> request(vertx, USERS_FIND, new JsonObject().put("username", "alice")))
        .onSuccess(found -> testContext.verify(() ->
            assertThat(found.getJsonObject("user").getBoolean("disabled")).isTrue()))
        .compose(v -> request(vertx, USERS_LIST, new JsonObject()))
        .onSuccess(list -> testContext.verify(() ->
            assertThat(list.getJsonArray("items").getJsonObject(0).getBoolean("disabled")).isTrue()))
        .compose(v -> request(vertx, USERS_UPDATE, new JsonObject().put("username", "nobody").put("disabled", true))
            .map(ok -> (Throwable) null).recover(Future::succeededFuture))
        .onSuccess(failure -> testContext.verify(() -> {
          assertThat(failure).isInstanceOf(ReplyException.class);
          assertThat(((ReplyException) failure).failureCode()).isEqualTo(404);
          replied.flag();
        }))
        .onFailure(testContext::failNow);
  }

  @Test
  @DisplayName("applies dialing, ringing, answered, completed in order, records each and publishes each (the last as ended too)")
  void forwardTransitions(Vertx vertx, VertxTestContext testContext) {
    Checkpoint publishedToAll = testContext.checkpoint(4);
    Checkpoint publishedToOwner = testContext.checkpoint(4);
    Checkpoint verified = testContext.checkpoint();
    Checkpoint publishedAsEnded = testContext.checkpoint();
    vertx.eventBus().<JsonObject>consumer(CALL_STATUS_ALL, msg -> publishedToAll.flag());
    vertx.eventBus().<JsonObject>consumer(callStatusOf("alice"), msg -> publishedToOwner.flag());
    // Only the final transition, with the fields its consumers read (CallStatusChanged.ended).
    vertx.eventBus().<JsonObject>consumer(CALL_STATUS_ENDED, msg -> testContext.verify(() -> {
      assertThat(msg.body().getString("status")).isEqualTo("completed");
      assertThat(msg.body().getString("previous_status")).isEqualTo("answered");
      assertThat(msg.body().getString("call_id")).isNotNull();
      assertThat(msg.body().getString("owner")).isEqualTo("alice");
      assertThat(msg.body().containsKey("server")).isTrue();
      assertThat(msg.body().getJsonObject("retry")).isNotNull();
      assertThat(msg.body().containsKey("phone_number")).as("not the whole call").isFalse();
      publishedAsEnded.flag();
    }));

    createUser(vertx, "alice").compose(user -> createCall(vertx, "alice")).compose(callId ->
        transition(vertx, callId, CallState.DIALING, 0)
            .compose(r -> expectApplied(testContext, r, "dialing", vertx, callId, CallState.RINGING, 2))
            .compose(r -> expectApplied(testContext, r, "ringing", vertx, callId, CallState.ANSWERED, 5))
            .compose(r -> expectApplied(testContext, r, "answered", vertx, callId, CallState.COMPLETED, 12))
            .onSuccess(r -> testContext.verify(() -> {
              assertThat(r.getBoolean("applied")).isTrue();
              JsonObject call = r.getJsonObject("call");
              assertThat(call.getString("status")).isEqualTo("completed");
              assertThat(call.getString("answered_at")).isEqualTo("2026-01-01T10:00:05Z");
              assertThat(call.getString("ended_at")).isEqualTo("2026-01-01T10:00:12Z");
              assertThat(call.getInteger("duration")).isEqualTo(7);
              assertThat(call.getBoolean("is_active")).isFalse();
            }))
            .compose(r -> events(vertx, callId))
            .onSuccess(events -> testContext.verify(() -> {
              assertThat(pairs(events)).containsExactly("pending>dialing", "dialing>ringing", "ringing>answered",
                  "answered>completed");
              JsonObject last = events.getJsonObject(events.size() - 1);
              assertThat(last.getString("at")).isEqualTo("2026-01-01T10:00:12Z");
              assertThat(last.getString("source")).isEqualTo("test");
              verified.flag();
            })))
        .onFailure(testContext::failNow);
  }

  private static Future<JsonObject> expectApplied(VertxTestContext testContext, JsonObject reply, String status,
      Vertx vertx, String callId, CallState next, int seconds) {
    testContext.verify(() -> {
      assertThat(reply.getBoolean("applied")).as("applied %s", status).isTrue();
      assertThat(reply.getJsonObject("call").getString("status")).isEqualTo(status);
    });
    return transition(vertx, callId, next, seconds);
  }

  /** The transitions as "from>to"; a creation row (to pending, which the contract's example shows) is left out. */
  private static List<String> pairs(JsonArray events) {
    return events.stream().map(JsonObject.class::cast).filter(e -> !"pending".equals(e.getString("to_status")))
        .map(e -> e.getString("from_status") + ">" + e.getString("to_status")).toList();
  }

  @Test
  @DisplayName("a stale ringing after the answer and a duplicate completed are refused, with no timeline row")
  void staleAndDuplicateRefused(Vertx vertx, VertxTestContext testContext) {
    ringingCall(vertx).compose(callId -> transition(vertx, callId, CallState.ANSWERED, 3)
            .compose(r -> transition(vertx, callId, CallState.COMPLETED, 9))
            .compose(r -> transition(vertx, callId, CallState.RINGING, 2))
            .onSuccess(r -> testContext.verify(() -> assertThat(r.getBoolean("applied")).isFalse()))
            .compose(r -> transition(vertx, callId, CallState.COMPLETED, 10))
            .onSuccess(r -> testContext.verify(() -> assertThat(r.getBoolean("applied")).isFalse()))
            .compose(r -> transition(vertx, callId, CallState.FAILED, 11))
            .onSuccess(r -> testContext.verify(() -> assertThat(r.getBoolean("applied")).isFalse()))
            .compose(r -> events(vertx, callId))
            .onSuccess(events -> testContext.verify(() -> assertThat(pairs(events)).containsExactly(
                "pending>dialing", "dialing>ringing", "ringing>answered", "answered>completed")))
            .compose(events -> request(vertx, CALLS_GET, new JsonObject().put("call_id", callId).put("owner", "alice"))))
        .onSuccess(call -> testContext.verify(() -> {
          assertThat(call.getString("status")).isEqualTo("completed");
          assertThat(call.getString("ended_at")).isEqualTo("2026-01-01T10:00:09Z");
          testContext.completeNow();
        }))
        .onFailure(testContext::failNow);
  }

  @Test
  @DisplayName("answered and busy sent at the same time to a ringing call: exactly one is applied and recorded")
  void concurrentExclusiveTransitions(Vertx vertx, VertxTestContext testContext) {
    ringingCall(vertx).compose(callId -> {
      Future<JsonObject> answered = transition(vertx, callId, CallState.ANSWERED, 3);
      Future<JsonObject> busy = transition(vertx, callId, CallState.BUSY, 3);
      return Future.all(answered, busy).compose(both -> events(vertx, callId).map(events -> {
        testContext.verify(() -> {
          long applied = List.of(answered.result(), busy.result()).stream().filter(r -> r.getBoolean("applied")).count();
          assertThat(applied).isEqualTo(1);
          String winner = answered.result().getBoolean("applied") ? "answered" : "busy";
          assertThat(pairs(events)).containsExactly("pending>dialing", "dialing>ringing", "ringing>" + winner);
        });
        return events;
      }));
    }).onSuccess(events -> testContext.completeNow()).onFailure(testContext::failNow);
  }

  @Test
  @DisplayName("answered and failed sent at the same time to a ringing call: the timeline holds exactly the applied ones")
  void concurrentAnsweredAndFailed(Vertx vertx, VertxTestContext testContext) {
    // Both are allowed from ringing, and failed is allowed after answered (a call can be lost after the answer), so
    // either failed wins alone or both apply in the order answered, failed. Never answered after failed.
    ringingCall(vertx).compose(callId -> {
      Future<JsonObject> answered = transition(vertx, callId, CallState.ANSWERED, 3);
      Future<JsonObject> failed = transition(vertx, callId, CallState.FAILED, 3);
      return Future.all(answered, failed).compose(both -> events(vertx, callId)).map(events -> {
        testContext.verify(() -> {
          assertThat(failed.result().getBoolean("applied")).isTrue();
          List<String> expected = answered.result().getBoolean("applied")
              ? List.of("pending>dialing", "dialing>ringing", "ringing>answered", "answered>failed")
              : List.of("pending>dialing", "dialing>ringing", "ringing>failed");
          assertThat(pairs(events)).isEqualTo(expected);
        });
        return events;
      });
    }).onSuccess(events -> testContext.completeNow()).onFailure(testContext::failNow);
  }

  @Test
  @DisplayName("ten identical answered transitions at once: one applied, one timeline row, one publication")
  void concurrentDuplicates(Vertx vertx, VertxTestContext testContext) {
    Checkpoint answeredPublished = testContext.checkpoint();
    Checkpoint verified = testContext.checkpoint();
    vertx.eventBus().<JsonObject>consumer(CALL_STATUS_ALL, msg -> {
      if ("answered".equals(msg.body().getString("status"))) {
        answeredPublished.flag();
      }
    });
    ringingCall(vertx).compose(callId -> {
      List<Future<JsonObject>> replies = IntStream.range(0, 10)
          .mapToObj(i -> transition(vertx, callId, CallState.ANSWERED, 3)).toList();
      return Future.all(replies).compose(all -> events(vertx, callId)).map(events -> {
        testContext.verify(() -> {
          assertThat(replies.stream().filter(r -> r.result().getBoolean("applied")).count()).isEqualTo(1);
          assertThat(pairs(events)).containsExactly("pending>dialing", "dialing>ringing", "ringing>answered");
        });
        return events;
      });
    }).onSuccess(events -> verified.flag()).onFailure(testContext::failNow);
  }

  @Test
  @DisplayName("another owner's call is not found; an admin's request finds it")
  void visibility(Vertx vertx, VertxTestContext testContext) {
    createUser(vertx, "alice").compose(u -> createUser(vertx, "mallory")).compose(u -> createCall(vertx, "alice"))
        .compose(callId -> request(vertx, CALLS_GET, new JsonObject().put("call_id", callId).put("owner", "mallory"))
            .map(found -> (Throwable) null).recover(Future::succeededFuture)
            .onSuccess(failure -> testContext.verify(() -> {
              assertThat(failure).isInstanceOf(ReplyException.class);
              assertThat(((ReplyException) failure).failureCode()).isEqualTo(404);
            }))
            .compose(v -> request(vertx, CALLS_GET, new JsonObject().put("call_id", callId).put("owner", "root")
                .put("admin", true))))
        .onSuccess(call -> testContext.verify(() -> {
          assertThat(call.getString("owner")).isEqualTo("alice");
          testContext.completeNow();
        }))
        .onFailure(testContext::failNow);
  }
}
