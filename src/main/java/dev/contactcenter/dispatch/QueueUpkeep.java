package dev.contactcenter.dispatch;

import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_EXPIRE;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_REQUEUE;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_STATS;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upkeep of a server's queue by its owner, on the dispatcher's event loop: queued calls past their
 * {@code max_queue_seconds} end failed, calls taken off the queue but never sent go back to it, and the queue's
 * figures feed /metrics and correct the pacer's count of calls in progress.
 */
final class QueueUpkeep {

  private static final Logger LOG = LoggerFactory.getLogger(QueueUpkeep.class);

  private final Vertx vertx;
  private final String server;
  private final Pacer pacer;
  private final DispatchMetrics metrics;

  QueueUpkeep(Vertx vertx, String server, Pacer pacer, DispatchMetrics metrics) {
    this.vertx = vertx;
    this.server = server;
    this.pacer = pacer;
    this.metrics = metrics;
  }

  /** Ends the queued calls whose max_queue_seconds passed. */
  void expire() {
    vertx.eventBus().<JsonObject>request(DISPATCH_EXPIRE, new JsonObject().put("server", server))
        .onSuccess(reply -> {
          int expired = reply.body().getInteger("expired", 0);
          if (expired > 0) {
            LOG.info("{} queued call(s) on server {} expired (max_queue_seconds)", expired, server);
            metrics.expired(server, expired);
          }
        });
  }

  /** Puts back in the queue the calls taken at least {@code olderThanMs} ago and never marked sent. */
  Future<Integer> requeue(long olderThanMs) {
    return vertx.eventBus().<JsonObject>request(DISPATCH_REQUEUE,
            new JsonObject().put("server", server).put("older_than_ms", olderThanMs))
        .map(reply -> reply.body().getInteger("requeued", 0))
        .onSuccess(n -> {
          if (n > 0) {
            LOG.warn("{} call(s) of server {} were taken off the queue but never dialled: back in the queue", n, server);
            metrics.requeued(server, n);
          }
        });
  }

  /** Queue depth and oldest wait to the metrics; the database's count of calls in progress to the pacer. */
  void refreshStats() {
    int reservedBefore = pacer.active();
    vertx.eventBus().<JsonObject>request(DISPATCH_STATS, new JsonObject()).onSuccess(reply -> {
      JsonObject mine = null;
      for (Object item : reply.body().getJsonArray("servers", new JsonArray())) {
        JsonObject s = (JsonObject) item;
        if (server.equals(s.getString("server"))) {
          mine = s;
        }
      }
      long queued = mine == null ? 0 : mine.getLong("queued");
      metrics.queue(server, queued, mine == null ? 0 : mine.getDouble("oldest_wait_seconds"));
      // Only when nothing was reserved meanwhile, so a dial on its way is not forgotten.
      if (pacer.active() == reservedBefore) {
        pacer.resync(mine == null ? 0 : mine.getLong("active").intValue());
      }
    });
  }
}
