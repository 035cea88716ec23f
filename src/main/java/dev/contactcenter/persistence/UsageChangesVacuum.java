package dev.contactcenter.persistence;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vacuums V11's user_usage_changes every second while calls are created or change state. The table is a queue
 * (about two rows a call, deleted by the owner's next admission): between autovacuum's visits (once a minute at
 * best) its dead rows pile up to hundreds of pages, and every admission that reads the changes (the fold, or the
 * check made while another admission holds the counters) scanned them all: measured at 0.5 ms of PostgreSQL CPU per
 * call at 480 calls/s, against about 0.05 ms once vacuumed each second. TRUNCATE false: the truncation would wait for
 * an exclusive lock behind the admissions (seconds) and block them once it has it; the freed pages are reused.
 */
final class UsageChangesVacuum {

  private static final Logger LOG = LoggerFactory.getLogger(UsageChangesVacuum.class);
  static final long INTERVAL_MS = 1000;
  static final String VACUUM = "VACUUM (TRUNCATE false) user_usage_changes";

  private final Vertx vertx;
  private final Pool pool;
  private final LongSupplier activity;
  private long timer = -1;
  private long lastActivity;
  private boolean running;

  /** {@code activity}: a count that grows with the writes adding change rows (calls created, transitions sent). */
  UsageChangesVacuum(Vertx vertx, Pool pool, LongSupplier activity) {
    this.vertx = vertx;
    this.pool = pool;
    this.activity = activity;
  }

  void start() {
    lastActivity = activity.getAsLong();
    timer = vertx.setPeriodic(INTERVAL_MS, id -> tick());
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private void tick() {
    long now = activity.getAsLong();
    if (running || now == lastActivity) {
      return;
    }
    lastActivity = now;
    running = true;
    // A simple query: VACUUM cannot run in the implicit transaction of the extended protocol's prepared statements.
    pool.query(VACUUM).execute().onComplete(done -> {
      running = false;
      if (done.failed()) {
        // The database is down or the user does not own the table: autovacuum still cleans it, only later.
        LOG.debug("vacuum of user_usage_changes failed: {}", done.cause().toString());
      }
    });
  }
}
