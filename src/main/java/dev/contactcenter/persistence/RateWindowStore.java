package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.RATE_ACQUIRE;

import dev.contactcenter.bus.BusError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code db.rate.acquire} side of the persistence verticle: sliding windows kept in PostgreSQL (V10) so that
 * every node of a cluster counts against the same window, by the database's clock. Expired windows are deleted
 * every {@value #PURGE_EVERY_MS} ms, so the table holds only keys seen in their last window.
 */
final class RateWindowStore {

  static final long PURGE_EVERY_MS = 60_000;
  private static final Logger LOG = LoggerFactory.getLogger(RateWindowStore.class);
  private static final int MAX_KEY_LENGTH = 200;

  private final Vertx vertx;
  private final Pool pool;
  private long purgeTimer;

  RateWindowStore(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  MessageConsumer<JsonObject> register() {
    purgeTimer = vertx.setPeriodic(PURGE_EVERY_MS, id -> purge());
    return vertx.eventBus().localConsumer(RATE_ACQUIRE, this::acquire);
  }

  void stop() {
    vertx.cancelTimer(purgeTimer);
  }

  private void acquire(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    String key = body.getString("key");
    Integer limit = body.getInteger("limit");
    Integer window = body.getInteger("window_seconds");
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH || limit == null || window == null
        || window < 1) {
      BusError.INVALID.reply(msg, "key, limit and window_seconds are required");
      return;
    }
    pool.preparedQuery("SELECT rate_window_acquire($1, $2, $3) AS wait").execute(Tuple.of(key, limit, window))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new JsonObject().put("wait_seconds", row.getInteger("wait"));
        })
        .onSuccess(msg::reply)
        .onFailure(failure -> {
          LOG.warn("Rate window for a key could not be counted: {}", failure.toString());
          if (PoolBusy.is(failure)) {
            BusError.replyBusy(msg);
          } else {
            BusError.UNAVAILABLE.reply(msg, "database unavailable");
          }
        });
  }

  /** Deletes the windows whose last request is older than their length; several nodes doing it is harmless. */
  Future<Integer> purge() {
    return pool.query("DELETE FROM rate_windows WHERE expires_at < clock_timestamp()").execute()
        .map(rows -> rows.rowCount())
        .onFailure(failure -> LOG.debug("Purging expired rate windows failed: {}", failure.toString()));
  }
}
