package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_CALL_DELIVERIES;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_CLAIM;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_CREATE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_DELETE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_DELIVERIES;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_DUE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_GET;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_LIST;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_RECORD;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_RETRY;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_ROTATE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_STATS;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_UPDATE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_USER_SECRET;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_USER_SECRET_ROTATE;

import dev.contactcenter.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code db.webhooks.*} side of the persistence verticle, and the LISTEN on the {@code webhook_deliveries}
 * channel that the V4 trigger notifies: each notification is published locally on {@code webhooks.due}.
 */
final class WebhookStore {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookStore.class);
  private static final String CHANNEL = "webhook_deliveries";

  private final Vertx vertx;
  private final WebhookRepository repository;
  private final WebhookLogRepository log;
  private final PgConnectOptions connect;
  private PgSubscriber subscriber;

  WebhookStore(Vertx vertx, Pool pool, PgConnectOptions connect) {
    this.vertx = vertx;
    this.repository = new WebhookRepository(pool);
    this.log = new WebhookLogRepository(pool);
    this.connect = connect;
  }

  /** Registers the consumers; the LISTEN connection is started beside them and never fails the start. */
  List<MessageConsumer<JsonObject>> register() {
    EventBus bus = vertx.eventBus();
    List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
    consumers.add(bus.localConsumer(WEBHOOKS_CREATE, this::create));
    consumers.add(bus.localConsumer(WEBHOOKS_LIST, msg -> reply(msg, repository.listEndpoints(ownerFilter(msg.body()))
        .map(items -> new JsonObject().put("items", items)))));
    consumers.add(bus.localConsumer(WEBHOOKS_GET, msg -> reply(msg, endpoint(msg.body()))));
    consumers.add(bus.localConsumer(WEBHOOKS_DELETE, this::delete));
    consumers.add(bus.localConsumer(WEBHOOKS_UPDATE, this::update));
    consumers.add(bus.localConsumer(WEBHOOKS_ROTATE, this::rotate));
    consumers.add(bus.localConsumer(WEBHOOKS_DELIVERIES, this::deliveries));
    consumers.add(bus.localConsumer(WEBHOOKS_RETRY, this::retry));
    consumers.add(bus.localConsumer(WEBHOOKS_CALL_DELIVERIES, this::callDeliveries));
    consumers.add(bus.localConsumer(WEBHOOKS_USER_SECRET, msg -> reply(msg,
        repository.ensureUserSecret(msg.body().getString("owner"), msg.body().getString("secret")))));
    consumers.add(bus.localConsumer(WEBHOOKS_USER_SECRET_ROTATE, msg -> reply(msg, repository.rotateUserSecret(
        msg.body().getString("owner"), msg.body().getString("secret"), msg.body().getInteger("overlap_seconds")))));
    consumers.add(bus.localConsumer(WEBHOOKS_CLAIM, msg -> reply(msg, repository.claim(msg.body().getInteger("limit"),
        msg.body().getLong("lease_ms")).map(items -> new JsonObject().put("items", items)))));
    consumers.add(bus.localConsumer(WEBHOOKS_RECORD, this::record));
    consumers.add(bus.localConsumer(WEBHOOKS_STATS, msg -> reply(msg, repository.stats())));
    listen();
    return consumers;
  }

  Future<Void> stop() {
    return subscriber == null ? Future.succeededFuture() : subscriber.close();
  }

  /** LISTEN with reconnection; while it is down the relay's poll still finds due deliveries. */
  private void listen() {
    subscriber = PgSubscriber.subscriber(vertx, connect)
        .reconnectPolicy(retries -> Math.min(30_000L, 500L * (1L << Math.min(retries, 6))));
    subscriber.channel(CHANNEL).handler(payload -> vertx.eventBus().publish(WEBHOOKS_DUE, new JsonObject()));
    subscriber.connect().onFailure(e -> LOG.warn("LISTEN {} failed, webhook deliveries wait for the poll: {}",
        CHANNEL, e.toString()));
  }

  private void create(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    UUID id = UUID.randomUUID();
    String secret = b.getString("secret");
    reply(msg, repository.insertEndpoint(id, b.getString("owner"), b.getString("url"),
            b.getJsonArray("events").stream().map(String::valueOf).toArray(String[]::new),
            b.getBoolean("enabled", true), b.getString("description"), secret)
        .map(endpoint -> endpoint.put("secret", secret)));
  }

  private Future<JsonObject> endpoint(JsonObject request) {
    return id(request.getString("id")).compose(id -> repository.endpoint(id, ownerFilter(request)))
        .compose(found -> found.map(Future::succeededFuture).orElseGet(() -> notFound(request.getString("id"))));
  }

  private void update(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    JsonArray events = b.getJsonArray("events");
    reply(msg, id(b.getString("id")).compose(id -> repository.updateEndpoint(id, ownerFilter(b), b.getString("url"),
            events == null ? null : events.stream().map(String::valueOf).toArray(String[]::new),
            b.getBoolean("enabled"), b.containsKey("description"), b.getString("description")))
        .compose(found -> found.map(Future::succeededFuture).orElseGet(() -> notFound(b.getString("id")))));
  }

  private void delete(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    reply(msg, id(b.getString("id")).compose(id -> repository.deleteEndpoint(id, ownerFilter(b)))
        .compose(deleted -> deleted ? Future.succeededFuture(new JsonObject()) : notFound(b.getString("id"))));
  }

  private void rotate(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    String secret = b.getString("secret");
    reply(msg, id(b.getString("id"))
        .compose(id -> repository.rotateEndpoint(id, ownerFilter(b), secret, b.getInteger("overlap_seconds")))
        .compose(until -> until.map(t -> Future.succeededFuture(new JsonObject().put("secret", secret)
            .put("previous_secret_expires_at", Rows.time(t)))).orElseGet(() -> notFound(b.getString("id")))));
  }

  private void deliveries(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    reply(msg, endpoint(b).compose(endpoint -> log.endpointDeliveries(UUID.fromString(endpoint.getString("id")),
        b.getInteger("limit", 100)).map(items -> new JsonObject().put("webhook_id", endpoint.getString("id"))
            .put("items", items))));
  }

  private void retry(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    reply(msg, id(b.getString("id")).compose(id -> log.retry(b.getLong("delivery_id"), id, ownerFilter(b)))
        .compose(result -> switch (result) {
          case "retried" -> {
            vertx.eventBus().publish(WEBHOOKS_DUE, new JsonObject());
            yield Future.succeededFuture(new JsonObject().put("state", "pending"));
          }
          case "pending" -> Future.failedFuture(BusError.CONFLICT.exception(
              "delivery " + b.getLong("delivery_id") + " is still pending; it is retried automatically"));
          default -> Future.failedFuture(BusError.NOT_FOUND.exception("no delivery " + b.getLong("delivery_id")));
        }));
  }

  private void callDeliveries(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    String callId = b.getString("call_id");
    reply(msg, id(callId).compose(log::callDeliveries).compose(found -> found
        .filter(result -> b.getBoolean("admin", false) || result.getString("owner").equals(b.getString("owner")))
        .map(result -> Future.succeededFuture(new JsonObject().put("call_id", callId)
            .put("items", result.getJsonArray("items"))))
        .orElseGet(() -> Future.failedFuture(BusError.NOT_FOUND.exception("no call " + callId)))));
  }

  private void record(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    String next = b.getString("next_attempt_at");
    reply(msg, repository.record(b.getLong("id"), b.getString("outcome"), b.getInteger("status_code"),
        b.getInteger("latency_ms"), b.getString("error"), next == null ? null : OffsetDateTime.parse(next))
        .map(v -> new JsonObject()));
  }

  /** Null for an admin (every owner's), else the caller. */
  private static String ownerFilter(JsonObject request) {
    return request.getBoolean("admin", false) ? null : request.getString("owner");
  }

  private static Future<UUID> id(String value) {
    try {
      return Future.succeededFuture(UUID.fromString(value));
    } catch (IllegalArgumentException | NullPointerException e) {
      return notFound(value);
    }
  }

  private static <T> Future<T> notFound(String id) {
    return Future.failedFuture(BusError.NOT_FOUND.exception("no webhook " + id));
  }

  private static void reply(Message<JsonObject> msg, Future<JsonObject> result) {
    result.onSuccess(msg::reply).onFailure(failure -> DatabaseReplies.fail(msg, failure, null));
  }
}
