package dev.contactcenter.webhooks;

import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_CLAIM;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_DUE;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_RECORD;
import static dev.contactcenter.bus.EventBusAddresses.WEBHOOKS_STATS;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox relay: claims due deliveries from the database (woken by the trigger's NOTIFY, relayed on
 * {@code webhooks.due}, and by a slow poll), sends each with {@link WebhookSender}, and records the attempt and
 * what follows: delivered (2xx), endpoint disabled (410), retried with backoff, or dead after the maximum age.
 * At most {@code concurrency} deliveries are in flight here; the HTTP pool holds at most
 * {@code concurrencyPerEndpoint} connections to one receiver. Several nodes may run it side by side: claims
 * skip what another node holds.
 */
public final class WebhookRelayVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(WebhookRelayVerticle.class);

  private final WebhookSettings settings;
  private final WebhookMetrics metrics;
  private final RetrySchedule schedule;
  private HttpClient client;
  private WebhookSender sender;
  private int inFlight;
  private boolean claiming;
  private boolean wokenWhileClaiming;
  private boolean stopped;

  public WebhookRelayVerticle(WebhookSettings settings, WebhookMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.schedule = new RetrySchedule(settings);
  }

  @Override
  public Future<?> start() {
    client = vertx.createHttpClient(new HttpClientOptions()
            .setConnectTimeout(settings.connectTimeoutMs())
            .setKeepAliveTimeout(30)
            .setMaxRedirects(0),
        new PoolOptions().setHttp1MaxSize(settings.concurrencyPerEndpoint()).setMaxWaitQueueSize(-1));
    sender = new WebhookSender(vertx, client, new AddressPolicy(settings), settings);
    vertx.setPeriodic(settings.pollMs(), id -> {
      pump();
      refreshStats();
    });
    return vertx.eventBus().<JsonObject>localConsumer(WEBHOOKS_DUE, msg -> pump()).completion()
        .onSuccess(v -> pump());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    return client == null ? Future.succeededFuture() : client.close();
  }

  /** Claims as many due deliveries as there are free slots; again after each completes. */
  private void pump() {
    if (stopped) {
      return;
    }
    if (claiming) {
      wokenWhileClaiming = true;
      return;
    }
    int free = settings.concurrency() - inFlight;
    if (free <= 0) {
      return;
    }
    claiming = true;
    wokenWhileClaiming = false;
    vertx.eventBus().<JsonObject>request(WEBHOOKS_CLAIM, new JsonObject().put("limit", free)
            .put("lease_ms", settings.leaseMs()))
        .map(Message::body)
        .onComplete(claimed -> {
          claiming = false;
          if (claimed.failed()) {
            LOG.warn("Claiming webhook deliveries failed (retried at the next poll): {}", claimed.cause().getMessage());
            return;
          }
          var items = claimed.result().getJsonArray("items");
          items.forEach(item -> deliver((JsonObject) item));
          if (items.size() == free || wokenWhileClaiming) {
            pump();
          }
        });
  }

  private void deliver(JsonObject delivery) {
    inFlight++;
    sender.send(delivery)
        .compose(attempt -> record(delivery, attempt))
        .onFailure(e -> LOG.warn("Recording webhook delivery {} failed (it is retried after its lease): {}",
            delivery.getString("webhook_id"), e.getMessage()))
        .onComplete(done -> {
          inFlight--;
          pump();
        });
  }

  private Future<Void> record(JsonObject delivery, WebhookSender.Attempt attempt) {
    JsonObject result = new JsonObject().put("id", delivery.getLong("id"))
        .put("status_code", attempt.statusCode()).put("latency_ms", attempt.latencyMs()).put("error", attempt.error());
    String id = delivery.getString("webhook_id");
    if (attempt.success()) {
      metrics.delivered();
      result.put("outcome", "delivered");
    } else if (attempt.gone()) {
      metrics.dead();
      LOG.warn("Webhook {} to {}: 410 Gone, subscription disabled", id, delivery.getString("url"));
      result.put("outcome", "gone").put("error", "410 Gone: subscription disabled");
    } else {
      Optional<Instant> next = schedule.next(delivery.getInteger("attempts"),
          Instant.parse(delivery.getString("age_from")), Instant.now());
      if (next.isPresent()) {
        metrics.retried();
        result.put("outcome", "retry").put("next_attempt_at", next.get().toString());
      } else {
        metrics.dead();
        LOG.warn("Webhook {} to {} is dead after {} attempts: {}", id, delivery.getString("url"),
            delivery.getInteger("attempts"), attempt.error());
        result.put("outcome", "dead");
      }
    }
    return vertx.eventBus().request(WEBHOOKS_RECORD, result).mapEmpty();
  }

  private void refreshStats() {
    vertx.eventBus().<JsonObject>request(WEBHOOKS_STATS, new JsonObject()).map(Message::body)
        .onSuccess(stats -> metrics.pending(stats.getLong("pending"), stats.getDouble("oldest_pending_seconds")));
  }
}
