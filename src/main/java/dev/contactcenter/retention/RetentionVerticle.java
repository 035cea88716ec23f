package dev.contactcenter.retention;

import dev.contactcenter.calls.CallState;
import dev.contactcenter.config.DatabaseUrl;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished calls older than {@code RETAIN_CALLS_DAYS}, with their timeline (V22's delete trigger) and
 * webhook rows (ON DELETE CASCADE), in small batches on a connection of its own, so the service's pool is never taken
 * by the clean-up. A call whose webhook deliveries are still pending is kept until they finish. Rows locked by
 * someone else are skipped, so several nodes may run it at once without waiting on each other.
 */
public final class RetentionVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RetentionVerticle.class);

  /**
   * One batch: the oldest finished calls created before the cut-off ($1 days), at most $2 of them. Age is taken from
   * created_at, which calls_created_idx walks from the oldest end; a call lives minutes, its creation and end are
   * days apart from the cut-off either way.
   */
  static final String DELETE_BATCH = "WITH doomed AS ("
      + "   SELECT c.id FROM calls c"
      + "   WHERE c.created_at < now() - make_interval(days => $1)"
      + "     AND c.status NOT IN " + CallState.activeSqlList()
      + "     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries w WHERE w.call_id = c.id AND w.state = 'pending')"
      + "   ORDER BY c.created_at, c.id LIMIT $2"
      + "   FOR UPDATE SKIP LOCKED"
      + " ) DELETE FROM calls c USING doomed d WHERE c.id = d.id";

  private final DatabaseUrl url;
  private final RetentionSettings settings;
  private final AtomicLong deleted = new AtomicLong();
  private Pool pool;
  private long timer = -1;
  private boolean running;
  private boolean stopping;
  private Future<Long> firstPass;

  public RetentionVerticle(DatabaseUrl url, RetentionSettings settings) {
    this.url = url;
    this.settings = settings;
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(1))
        .connectingTo(PgConnectOptions.fromUri(url.reactiveUri()).setCachePreparedStatements(true))
        .using(vertx)
        .build();
    firstPass = runPass();
    timer = vertx.setPeriodic(settings.intervalMs(), id -> runPass());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(timer);
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  /** The pass started with the verticle: the number of calls it deleted. */
  public Future<Long> firstPass() {
    return firstPass;
  }

  /** Calls deleted since start (all passes). */
  public long deleted() {
    return deleted.get();
  }

  /** Runs one pass now (unless one is running): batches until one comes back short. The number of calls deleted. */
  public Future<Long> runPass() {
    if (running || stopping) {
      return Future.succeededFuture(0L);
    }
    running = true;
    Promise<Long> done = Promise.promise();
    long started = System.nanoTime();
    nextBatch(0, done);
    return done.future().onComplete(result -> {
      running = false;
      if (result.failed()) {
        LOG.warn("Retention pass stopped: {}; the next pass tries again", result.cause().toString());
      } else if (result.result() > 0) {
        LOG.info("Retention deleted {} finished calls older than {} days in {} ms", result.result(),
            settings.retainCallsDays(), (System.nanoTime() - started) / 1_000_000);
      }
    });
  }

  private void nextBatch(long soFar, Promise<Long> done) {
    if (stopping) {
      done.complete(soFar);
      return;
    }
    pool.preparedQuery(DELETE_BATCH).execute(Tuple.of(settings.retainCallsDays(), settings.batchSize()))
        .onFailure(done::fail)
        .onSuccess(rows -> {
          int n = rows.rowCount();
          deleted.addAndGet(n);
          if (n < settings.batchSize()) {
            done.complete(soFar + n);
          } else {
            vertx.setTimer(settings.pauseMs(), id -> nextBatch(soFar + n, done));
          }
        });
  }
}
