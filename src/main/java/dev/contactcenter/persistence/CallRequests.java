package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_ACTIVE;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_EVENTS;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_GET;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_LIST;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_MARKED_EARLIER;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_REPLAY;
import static dev.contactcenter.bus.EventBusAddresses.SERVERS_LOAD;

import dev.contactcenter.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@code db.calls.*} reads and the call creation of the persistence verticle (transitions: see
 * {@link TransitionRequests}). A call another owner made is answered as not found, unless the request is an admin's.
 */
final class CallRequests {

  private final CallRepository calls;
  private final CreationBatcher creations;
  private final EventBus bus;
  private final DatabaseReplies replies;

  CallRequests(CallRepository calls, CreationBatcher creations, EventBus bus, DatabaseReplies replies) {
    this.calls = calls;
    this.creations = creations;
    this.bus = bus;
    this.replies = replies;
  }

  List<MessageConsumer<JsonObject>> register() {
    return List.of(
        bus.localConsumer(CALLS_CREATE, this::create),
        bus.localConsumer(CALLS_REPLAY, this::replay),
        bus.localConsumer(CALLS_GET, this::get),
        bus.localConsumer(CALLS_LIST, this::list),
        bus.localConsumer(CALLS_EVENTS, this::events),
        bus.localConsumer(SERVERS_LOAD, msg -> replies.reply(msg, calls.serversLoad()
            .map(items -> new JsonObject().put("items", items)))),
        bus.localConsumer(CALLS_ACTIVE, this::active),
        bus.localConsumer(CALLS_MARKED_EARLIER, msg -> replies.reply(msg, calls.markedEarlier(
            msg.body().getString("server"), msg.body().getLong("epoch")).map(due -> new JsonObject().put("due_in_ms", due)))));
  }

  private void create(Message<JsonObject> msg) {
    JsonObject call = msg.body();
    String key = call.getString("idempotency_key");
    // The requester (CallCreation, same process) sent the row and takes the answer without copies either way.
    replies.replyLocal(msg, creations.submit(call).compose(outcome -> {
      if (outcome.refused() != null) {
        JsonObject refusal = new JsonObject().put("created", false).put("refused", outcome.refused().toJson());
        // A retry of a call already made gets that call, whatever the limits say now: it asks for no new call,
        // and the earlier call may be what fills the limit.
        if (key == null) {
          return Future.succeededFuture(refusal);
        }
        // Only a 422 (the key was used with another body) overrides the refusal; a failed lookup leaves it standing.
        return replay(call).map(first -> first.orElse(refusal)).recover(failure ->
            BusError.httpStatusOf(failure) == BusError.UNPROCESSABLE.code() ? Future.failedFuture(failure)
                : Future.succeededFuture(refusal));
      }
      JsonObject created = outcome.call();
      if (created != null) {
        if (!"queued".equals(created.getString("status"))) {
          return Future.succeededFuture(new JsonObject().put("created", true).put("call", created));
        }
        return calls.queueAhead(created.getString("server"), UUID.fromString(created.getString("call_id")))
            .map(ahead -> new JsonObject().put("created", true).put("call", created).put("queue_position", ahead + 1));
      }
      // Same owner and key as an earlier request: return that call, never dial twice.
      return replay(call).compose(first -> first.map(Future::succeededFuture).orElseGet(() ->
          Future.failedFuture(BusError.CONFLICT.exception("idempotency key in use, retry"))));
    }));
  }

  /** CALLS_REPLAY: the call an earlier request with this owner and key made, if any. */
  private void replay(Message<JsonObject> msg) {
    replies.reply(msg, replay(msg.body()).map(first -> first.orElseGet(JsonObject::new)));
  }

  /**
   * The earlier call of the request's owner and idempotency key, as {@code {created: false, call}}; empty when there
   * is none. Fails with 422 when the earlier request had another body: a key names one request.
   */
  private Future<Optional<JsonObject>> replay(JsonObject request) {
    String key = request.getString("idempotency_key");
    return calls.findByIdempotencyKey(request.getString("owner"), key).compose(existing -> {
      if (existing.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      JsonObject first = existing.get();
      Object firstHash = first.remove("request_hash");
      if (!request.getString("request_hash", "").equals(firstHash)) {
        return Future.failedFuture(BusError.UNPROCESSABLE.exception(
            "Idempotency-Key '" + key + "' was already used with a different request body"));
      }
      JsonObject replayed = new JsonObject().put("created", false).put("call", first);
      if (!"queued".equals(first.getString("status"))) {
        return Future.succeededFuture(Optional.of(replayed));
      }
      // Still waiting: the retry learns its place now, as the first request learnt it then.
      return calls.queueAhead(first.getString("server"), UUID.fromString(first.getString("call_id")))
          .map(ahead -> Optional.of(replayed.put("call", first.put("queue_position", ahead + 1))));
    });
  }

  private void get(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    replies.reply(msg, callId(body.getString("call_id")).compose(calls::find)
        .compose(found -> found.filter(call -> visible(body, call.getString("owner")))
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(notFound(body.getString("call_id")))))
        .compose(this::withAttempts));
  }

  /** A first attempt that may be retried shows its later attempts. */
  private Future<JsonObject> withAttempts(JsonObject call) {
    if (call.getString("first_attempt_id") != null || call.getJsonObject("retry").getInteger("max_attempts") < 2) {
      return Future.succeededFuture(call);
    }
    return calls.attempts(UUID.fromString(call.getString("call_id"))).map(later -> call.put("attempts", later));
  }

  private void events(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    replies.reply(msg, callId(body.getString("call_id")).compose(calls::events)
        .compose(found -> found.filter(timeline -> visible(body, (String) timeline.remove("owner")))
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(notFound(body.getString("call_id"))))));
  }

  private void list(Message<JsonObject> msg) {
    JsonObject q = msg.body();
    int limit = q.getInteger("limit", 20);
    OffsetDateTime cursorAt = null;
    UUID cursorId = null;
    String cursor = q.getString("cursor");
    if (cursor != null) {
      PageCursor decoded = PageCursor.decode(cursor).orElse(null);
      if (decoded == null) {
        BusError.INVALID.reply(msg, "cursor is not one this service issued");
        return;
      }
      cursorAt = decoded.createdAt();
      cursorId = decoded.id();
    }
    OffsetDateTime after;
    OffsetDateTime before;
    try {
      after = time(q.getString("created_after"));
      before = time(q.getString("created_before"));
    } catch (DateTimeParseException e) {
      BusError.INVALID.reply(msg, "created_after/created_before must be RFC 3339 date-times");
      return;
    }
    String owner = q.getBoolean("admin", false) ? null : q.getString("owner");
    // One extra row tells whether there is a next page without a count query.
    replies.reply(msg, calls.list(owner, q.getString("status"), q.getString("phone_number"), after, before, cursorAt,
        cursorId, limit + 1, q.getString("server")).map(items -> page(items, limit)));
  }

  private static JsonObject page(JsonArray items, int limit) {
    String next = null;
    if (items.size() > limit) {
      items.remove(limit);
      JsonObject last = items.getJsonObject(limit - 1);
      next = new PageCursor(OffsetDateTime.parse(last.getString("created_at")),
          UUID.fromString(last.getString("call_id"))).encode();
    }
    return new JsonObject().put("items", items).put("next_cursor", next);
  }

  /** A server's unfinished calls: one page of them when the request names a limit, else all at once. */
  private void active(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    replies.reply(msg, (body.containsKey("limit")
        ? calls.activePage(body.getString("server"), body.getString("after_created_at"),
            body.getString("after_call_id"), body.getInteger("limit"))
        : calls.active(body.getString("server"))).map(items -> new JsonObject().put("items", items)));
  }

  private static boolean visible(JsonObject request, String owner) {
    return request.getBoolean("admin", false) || owner != null && owner.equals(request.getString("owner"));
  }

  private static Throwable notFound(String callId) {
    return BusError.NOT_FOUND.exception("no call " + callId);
  }

  /** A call id that is no UUID names no call. */
  static Future<UUID> callId(String value) {
    try {
      return Future.succeededFuture(UUID.fromString(value));
    } catch (IllegalArgumentException | NullPointerException e) {
      return Future.failedFuture(notFound(value));
    }
  }

  static OffsetDateTime time(String value) {
    return value == null ? null : OffsetDateTime.parse(value);
  }
}
