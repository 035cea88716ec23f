package dev.contactcenter.persistence;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * Answers "is the database up" on a connection of its own. Through the application's pool the answer would be "down"
 * whenever every connection is busy (a burst, a slow query holding a lock): health would then take a node out of its
 * load balancer exactly when it has work, while the database is fine.
 */
final class DatabaseProbe {

  private final Pool pool;
  /** The ping in flight: health checks arriving meanwhile share its answer, so a flood of them is one query. */
  private Future<JsonObject> pending;

  DatabaseProbe(Vertx vertx, PgConnectOptions connect) {
    this.pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1).setMaxWaitQueueSize(8).setIdleTimeout(60).setName("health-probe"))
        .with(new NetClientOptions().setConnectTimeout(2000))
        .connectingTo(new PgConnectOptions(connect).setCachePreparedStatements(false))
        .using(vertx)
        .build();
  }

  /**
   * {@code {latency_ms}} of one round trip; fails when the database does not answer. Called on the verticle's event
   * loop only.
   */
  Future<JsonObject> ping() {
    if (pending != null) {
      return pending;
    }
    long started = System.nanoTime();
    Future<JsonObject> ping = pool.query("SELECT 1").execute()
        .map(rows -> new JsonObject().put("latency_ms", (System.nanoTime() - started) / 1_000_000.0));
    pending = ping;
    ping.onComplete(done -> pending = null);
    return ping;
  }

  Future<Void> close() {
    return pool.close();
  }
}
