package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.*;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.CallStatusChanged;
import dev.contactcenter.bus.LocalCodec;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.bus.TransitionOutcome;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabasePoolSettings;
import dev.contactcenter.config.DatabaseUrl;
import dev.contactcenter.lifecycle.InFlight;
import dev.contactcenter.logging.LogBudget;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the reactive PostgreSQL pool: the only runtime code that speaks SQL. Answers {@code db.*} requests
 * and publishes every accepted call transition on {@code calls.status.all} and {@code calls.status.owner.<owner>}.
 */
public final class PersistenceVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PersistenceVerticle.class);
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String STALE_EPOCH = "CCF01";
  private static final long DRAIN_MAX_MS = 10_000;
  /** Above the longest statement of this package: each is prepared once per connection. */
  static final int PREPARED_STATEMENT_CACHE_SQL_LIMIT = 16_384;
  private static final LogBudget BUSY_LOG = new LogBudget(20, 10_000);

  private final DatabaseUrl url;
  private final DatabasePoolSettings poolSettings;
  private Pool pool;
  private DatabaseProbe probe;
  private UserRepository users;
  private CallRepository calls;
  private TransitionBatcher transitions;
  private WebhookStore webhooks;
  private RateWindowStore rateWindows;
  private final InFlight work = new InFlight();

  public PersistenceVerticle(DatabaseUrl url, int poolSize) {
    this(url, DatabasePoolSettings.ofSize(poolSize));
  }

  public PersistenceVerticle(DatabaseUrl url, DatabasePoolSettings poolSettings) {
    this.url = url;
    this.poolSettings = poolSettings;
  }

  @Override
  public Future<?> start() {
    PgConnectOptions connect = PgConnectOptions.fromUri(url.reactiveUri())
        .setCachePreparedStatements(true)
        // The client caches only statements shorter than 2,048 characters by default: the transition batch (2,152)
        // was parsed, analysed and planned again at every execution (about 1 ms of PostgreSQL CPU per batch).
        .setPreparedStatementCacheSqlLimit(PREPARED_STATEMENT_CACHE_SQL_LIMIT)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(poolSettings.size()).setMaxWaitQueueSize(poolSettings.maxWaiting())
            .setConnectionTimeout(poolSettings.waitSeconds()).setIdleTimeout(60))
        // Fail fast while the database is down, so health answers promptly and requests get a clear 503.
        .with(new NetClientOptions().setConnectTimeout(2000))
        .connectingTo(connect)
        .using(vertx)
        .build();
    probe = new DatabaseProbe(vertx, connect);
    users = new UserRepository(pool);
    calls = new CallRepository(pool);
    transitions = new TransitionBatcher(context, new TransitionStatements(pool));

    EventBus bus = vertx.eventBus();
    // Local: on a cluster every node has its own pool, and a node's requests must use it (never another node's).
    List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
    consumers.add(bus.localConsumer(DB_PING, this::ping));
    consumers.add(bus.localConsumer(USERS_FIND, this::findUser));
    consumers.add(bus.localConsumer(USERS_CREATE, this::createUser));
    consumers.add(bus.localConsumer(USERS_LIST, msg -> reply(msg, users.list().map(items -> new JsonObject().put("items", items)))));
    consumers.add(bus.localConsumer(USERS_UPDATE, this::updateUser));
    consumers.add(bus.localConsumer(USERS_SET_PASSWORD, this::setPassword));
    consumers.add(bus.localConsumer(USERS_BOOTSTRAP_ADMIN, this::bootstrapAdmin));
    consumers.add(bus.localConsumer(CALLS_CREATE, this::createCall));
    consumers.add(bus.localConsumer(CALLS_GET, this::getCall));
    consumers.add(bus.localConsumer(CALLS_LIST, this::listCalls));
    consumers.add(bus.localConsumer(CALLS_EVENTS, this::callEvents));
    consumers.add(bus.localConsumer(SERVERS_LOAD, msg -> reply(msg, calls.serversLoad()
        .map(items -> new JsonObject().put("items", items)))));
    consumers.add(bus.localConsumer(CALLS_ACTIVE, msg -> reply(msg, (msg.body().containsKey("limit")
        ? calls.activePage(msg.body().getString("server"), msg.body().getString("after_created_at"),
            msg.body().getString("after_call_id"), msg.body().getInteger("limit"))
        : calls.active(msg.body().getString("server"))).map(items -> new JsonObject().put("items", items)))));
    consumers.add(bus.localConsumer(CALLS_MARKED_EARLIER, msg -> reply(msg, calls.markedEarlier(
        msg.body().getString("server"), msg.body().getLong("epoch")).map(due -> new JsonObject().put("due_in_ms", due)))));
    consumers.addAll(new DispatchStore(pool, (msg, result) -> {
      reply(msg, result);
      return null;
    }, (call, previous) -> publish(call, previous, call.getString("updated_at"))).register(bus));
    webhooks = new WebhookStore(vertx, pool, connect);
    consumers.addAll(webhooks.register());
    rateWindows = new RateWindowStore(vertx, pool);
    consumers.add(rateWindows.register());
    LocalCodec.register(vertx);
    MessageConsumer<Object> transitionConsumer = bus.localConsumer(CALLS_TRANSITION, this::transition);
    List<Future<Void>> registered = new ArrayList<>(consumers.stream().map(MessageConsumer::completion).toList());
    registered.add(transitionConsumer.completion());
    return Future.all(registered);
  }

  @Override
  public Future<?> stop() {
    // Requests already accepted (a transition sent just before the ARI side stopped) finish before the pool closes.
    if (rateWindows != null) {
      rateWindows.stop();
    }
    Future<Void> listening = webhooks == null ? Future.succeededFuture() : webhooks.stop();
    return listening.eventually(() -> work.whenIdle(vertx, DRAIN_MAX_MS))
        .eventually(() -> probe == null ? Future.succeededFuture() : probe.close())
        .eventually(() -> pool == null ? Future.succeededFuture() : pool.close());
  }

  /** The transition batcher: its statement and transition counts show how much it batches. */
  TransitionBatcher transitions() {
    return transitions;
  }

  /** Database requests that finished while the stop waited for them, and those it gave up on. */
  public int drained() {
    return work.finishedWhileDraining();
  }

  public int abandoned() {
    return work.running();
  }

  private void ping(Message<JsonObject> msg) {
    reply(msg, probe.ping());
  }

  private void findUser(Message<JsonObject> msg) {
    reply(msg, users.find(msg.body().getString("username"))
        .map(user -> new JsonObject().put("user", user.orElse(null))));
  }

  private void createUser(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Future<JsonObject> created = users.insert(body.getString("username"), body.getString("password_hash"),
        body.getString("role", "user"));
    created.onSuccess(user -> vertx.eventBus().publish(USERS_CHANGED, user.copy()));
    reply(msg, created, failure -> isUniqueViolation(failure)
        ? BusError.CONFLICT.exception("username '" + body.getString("username") + "' is taken") : null);
  }

  private void updateUser(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    String username = body.getString("username");
    reply(msg, users.update(username, body.getBoolean("disabled"), body.getString("role"), body.getJsonObject("limits"))
        .compose(updated -> {
          if (updated.isEmpty()) {
            return Future.failedFuture(BusError.NOT_FOUND.exception("no user '" + username + "'"));
          }
          vertx.eventBus().publish(USERS_CHANGED, updated.get().copy());
          return Future.succeededFuture(updated.get());
        }), failure -> failure instanceof UserRepository.LastAdminException
            ? BusError.CONFLICT.exception(failure.getMessage()) : null);
  }

  private void setPassword(Message<JsonObject> msg) {
    String username = msg.body().getString("username");
    reply(msg, users.setPassword(username, msg.body().getString("password_hash")).compose(done -> done
        ? Future.succeededFuture(new JsonObject().put("username", username))
        : Future.failedFuture(BusError.NOT_FOUND.exception("no user '" + username + "'"))));
  }

  private void bootstrapAdmin(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    if (body.getBoolean("check_only", false)) {
      reply(msg, users.anyUser().map(any -> new JsonObject().put("needed", !any)));
      return;
    }
    reply(msg, users.insertAdminIfNone(body.getString("username"), body.getString("password_hash"))
        .onSuccess(created -> {
          if (created) {
            vertx.eventBus().publish(USERS_CHANGED, new JsonObject().put("username", body.getString("username"))
                .put("role", "admin").put("disabled", false));
          }
        })
        .map(created -> new JsonObject().put("created", created)));
  }

  private void createCall(Message<JsonObject> msg) {
    JsonObject call = msg.body();
    String key = call.getString("idempotency_key");
    reply(msg, calls.insert(call).compose(inserted -> {
      if (inserted.isPresent()) {
        JsonObject created = inserted.get();
        if (!"queued".equals(created.getString("status"))) {
          return Future.succeededFuture(new JsonObject().put("created", true).put("call", created));
        }
        return calls.queueAhead(created.getString("server"), UUID.fromString(created.getString("call_id")))
            .map(ahead -> new JsonObject().put("created", true).put("call", created).put("queue_position", ahead + 1));
      }
      // Same owner and key as an earlier request: return that call, never dial twice.
      return calls.findByIdempotencyKey(call.getString("owner"), key).compose(existing -> {
        if (existing.isEmpty()) {
          return Future.failedFuture(BusError.CONFLICT.exception("idempotency key in use, retry"));
        }
        JsonObject first = existing.get();
        Object firstHash = first.remove("request_hash");
        if (!call.getString("request_hash", "").equals(firstHash)) {
          return Future.failedFuture(BusError.UNPROCESSABLE.exception(
              "Idempotency-Key '" + key + "' was already used with a different request body"));
        }
        return Future.succeededFuture(new JsonObject().put("created", false).put("call", first));
      });
    }).recover(failure -> failure instanceof CallRepository.LimitReached limit
        ? Future.succeededFuture(new JsonObject().put("created", false).put("refused", limit.toJson()))
        : Future.failedFuture(failure)));
  }

  private void getCall(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    reply(msg, parseUuid(body.getString("call_id")).compose(calls::find)
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

  private void callEvents(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    reply(msg, parseUuid(body.getString("call_id")).compose(calls::events)
        .compose(found -> found.filter(timeline -> visible(body, (String) timeline.remove("owner")))
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(notFound(body.getString("call_id"))))));
  }

  private void listCalls(Message<JsonObject> msg) {
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
    reply(msg, calls.list(owner, q.getString("status"), q.getString("phone_number"), after, before, cursorAt, cursorId,
        limit + 1, q.getString("server")).map(items -> page(items, limit)));
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

  /**
   * A transition from this node's ARI side arrives as a {@link TransitionCommand} object and is answered with a
   * {@link TransitionOutcome} object (no JSON per transition); one sent as JSON is answered in JSON.
   */
  private void transition(Message<Object> msg) {
    if (msg.body() instanceof TransitionCommand command) {
      Future<TransitionOutcome> applied = parseUuid(command.callId()).compose(id -> apply(new TransitionStatements
          .Transition(id, command.status(), utc(command.at()), command.failureReason(), command.hangupCause(),
              command.hangupCauseText(), command.channel(), command.source(), utc(command.answeredAt()),
              command.endTimeApproximate(), command.ownerEpoch())));
      work.track(applied).onSuccess(outcome -> msg.reply(outcome, LocalCodec.LOCAL))
          .onFailure(failure -> fail(msg, failure, fencedAsBusError(failure)));
      return;
    }
    JsonObject t = (JsonObject) msg.body();
    CallState to = CallState.of(t.getString("status"));
    OffsetDateTime at = OffsetDateTime.parse(t.getString("at"));
    OffsetDateTime answeredAt = time(t.getString("answered_at"));
    Future<JsonObject> applied = parseUuid(t.getString("call_id")).compose(id -> apply(
            new TransitionStatements.Transition(id, to, at, t.getString("failure_reason"), t.getInteger("hangup_cause"),
                t.getString("hangup_cause_text"), t.getString("channel"), t.getString("source", "api"), answeredAt,
                t.getBoolean("end_time_approximate", false), t.getLong("owner_epoch"))))
        .map(TransitionOutcome::toJson);
    reply(msg, applied, PersistenceVerticle::fencedAsBusError);
  }

  /** Applies the transition (batched with others); an applied one is published, after its commit. */
  private Future<TransitionOutcome> apply(TransitionStatements.Transition transition) {
    return transitions.submit(transition).map(updated -> {
      if (updated.isEmpty()) {
        return TransitionOutcome.REFUSED;
      }
      JsonObject call = updated.get();
      String previous = (String) call.remove("previous_status");
      publish(call, previous, Rows.time(transition.at()));
      return new TransitionOutcome(true, call);
    });
  }

  private static Throwable fencedAsBusError(Throwable failure) {
    return isFenced(failure) ? BusError.FENCED.exception(failure.getMessage()) : null;
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  /** V6's trigger refused the write: its ownership epoch is no longer the server's current one. */
  private static boolean isFenced(Throwable failure) {
    return failure instanceof PgException pg && STALE_EPOCH.equals(pg.getSqlState());
  }

  private void publish(JsonObject call, String previous, String at) {
    JsonObject changed = CallStatusChanged.of(call, previous, at);
    EventBus bus = vertx.eventBus();
    bus.publish(CALL_STATUS_ALL, changed);
    bus.publish(callStatusOf(call.getString("owner")), changed);
  }

  private static boolean visible(JsonObject request, String owner) {
    return request.getBoolean("admin", false) || owner != null && owner.equals(request.getString("owner"));
  }

  private static Throwable notFound(String callId) {
    return BusError.NOT_FOUND.exception("no call " + callId);
  }

  private static Future<UUID> parseUuid(String value) {
    try {
      return Future.succeededFuture(UUID.fromString(value));
    } catch (IllegalArgumentException | NullPointerException e) {
      return Future.failedFuture(BusError.NOT_FOUND.exception("no call " + value));
    }
  }

  private static OffsetDateTime time(String value) {
    return value == null ? null : OffsetDateTime.parse(value);
  }

  private static boolean isUniqueViolation(Throwable failure) {
    return failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
  }

  private void reply(Message<JsonObject> msg, Future<JsonObject> result) {
    reply(msg, result, failure -> null);
  }

  /** Replies with the result, or fails the message with a typed code; unexpected errors are logged once. */
  private void reply(Message<?> msg, Future<JsonObject> result, Function<Throwable, Throwable> translate) {
    work.track(result).onSuccess(msg::reply).onFailure(failure -> fail(msg, failure, translate.apply(failure)));
  }

  private static void fail(Message<?> msg, Throwable failure, Throwable mapped) {
    Throwable effective = mapped != null ? mapped : failure;
    if (effective instanceof io.vertx.core.eventbus.ReplyException reply) {
      msg.fail(reply.failureCode(), reply.getMessage());
    } else if (PoolBusy.is(failure)) {
      // Every connection is in use (a burst): the database is up, the client should retry shortly. A client's burst
      // can cause one of these per request, so the lines are budgeted.
      long suppressed = BUSY_LOG.take(System.currentTimeMillis());
      if (suppressed >= 0) {
        LOG.warn("Database request on {} found the pool busy ({} more such lines suppressed): {}", msg.address(),
            suppressed, failure.toString());
      }
      BusError.replyBusy(msg);
    } else {
      LOG.error("Database request on {} failed: {}", msg.address(), failure.toString());
      // The database's own text (host, port, SQL) stays in the log; a client learns only which kind of failure.
      boolean refused = failure instanceof io.vertx.pgclient.PgException;
      msg.fail(refused ? BusError.INTERNAL.code() : BusError.UNAVAILABLE.code(),
          refused ? "the database refused the request" : "database unavailable");
    }
  }
}
