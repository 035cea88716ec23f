package dev.contactcenter.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database side of one server's ownership: a dedicated connection, whose session holds the advisory lock, and
 * the statements {@link ServerOwnership} runs on it. One instance per connection: a lost one is replaced, never
 * reopened.
 *
 * <p>Why this lock rather than Hazelcast's: the lock lives exactly as long as the owner's database session. A
 * killed process's socket is closed by its kernel, PostgreSQL ends the session at once and the lock is free for the
 * next standby poll; a silent host is dropped by the session's TCP keep-alives (set here to ~8 s). Hazelcast's
 * failure detector, by default, waits up to 60 s and, in a network split, can let both halves believe they own.
 * And the state that must be protected is in PostgreSQL: a node cut from the database cannot write anyway, so the
 * database is the right judge of who owns.
 */
final class OwnershipSession {

  // ServerOwnership's logger: these lines belong to the ownership's log.
  private static final Logger LOG = LoggerFactory.getLogger(ServerOwnership.class);

  private static final String REGISTER =
      "INSERT INTO asterisk_server_owners (server) VALUES ($1) ON CONFLICT (server) DO NOTHING";
  private static final String LOCK_ID = "SELECT lock_id FROM asterisk_server_owners WHERE server = $1";
  private static final String TRY_LOCK = "SELECT pg_try_advisory_lock(ownership_lock_class(), $1) AS locked";
  private static final String HELD =
      "SELECT coalesce((SELECT owned FROM asterisk_server_status WHERE server = $1), false) AS held";
  private static final String HOLDER = "SELECT owner_node FROM asterisk_server_owners WHERE server = $1";
  private static final String UNLOCK = "SELECT pg_advisory_unlock(ownership_lock_class(), $1)";
  private static final String TAKE = "UPDATE asterisk_server_owners SET epoch = epoch + 1, owner_node = $2, "
      + "acquired_at = now(), heartbeat_at = now() WHERE server = $1 RETURNING epoch";
  private static final String HEARTBEAT =
      "UPDATE asterisk_server_owners SET heartbeat_at = now() WHERE server = $1 AND epoch = $2";
  private static final String RELEASE =
      "UPDATE asterisk_server_owners SET owner_node = NULL WHERE server = $1 AND epoch = $2";
  /** A dead peer is noticed by the server in idle + interval * count = 5 + 1 * 3 s. */
  private static final String KEEPALIVES = "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 1; "
      + "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 8000";

  private final PgConnection connection;
  private final String server;
  private int lockId;

  private OwnershipSession(PgConnection connection, String server) {
    this.connection = connection;
    this.server = server;
  }

  /** Connects; the session's keep-alives are set by {@link #keepAlives()}, once the caller still wants it. */
  static Future<OwnershipSession> open(Vertx vertx, PgConnectOptions database, String server) {
    return PgConnection.connect(vertx, database).map(conn -> new OwnershipSession(conn, server));
  }

  /** {@code closed} runs when the connection closes; a failure's cause is only logged (the close acts on it). */
  void onClose(Runnable closed) {
    connection.closeHandler(v -> closed.run());
    connection.exceptionHandler(e -> LOG.debug("Ownership connection of server {}: {}", server, e.getMessage()));
  }

  Future<OwnershipSession> keepAlives() {
    return connection.query(KEEPALIVES).execute().map(this);
  }

  /** Registers the server (once), then tries its lock without waiting: true when this session now holds it. */
  Future<Boolean> tryLock() {
    return connection.preparedQuery(REGISTER).execute(Tuple.of(server))
        .compose(r -> connection.preparedQuery(LOCK_ID).execute(Tuple.of(server)))
        .compose(rows -> {
          lockId = rows.iterator().next().getInteger("lock_id");
          return connection.preparedQuery(TRY_LOCK).execute(Tuple.of(lockId));
        })
        .map(rows -> rows.iterator().next().getBoolean("locked"));
  }

  /** Whether some session holds the server's lock now (this one included), without trying it. */
  Future<Boolean> held() {
    return connection.preparedQuery(HELD).execute(Tuple.of(server)).map(rows -> rows.iterator().next().getBoolean("held"));
  }

  /** Records {@code nodeName} as the owner under a new epoch, returned. */
  Future<Long> take(String nodeName) {
    return connection.preparedQuery(TAKE).execute(Tuple.of(server, nodeName))
        .map(rows -> rows.iterator().next().getLong("epoch"));
  }

  /** The node the server's row names as owner (may be null). */
  Future<String> holder() {
    return connection.preparedQuery(HOLDER).execute(Tuple.of(server))
        .map(rows -> rows.iterator().next().getString("owner_node"));
  }

  /** True when {@code epoch} is still the server's current one (its heartbeat recorded). */
  Future<Boolean> heartbeat(long epoch) {
    return connection.preparedQuery(HEARTBEAT).execute(Tuple.of(server, epoch)).map(rows -> rows.rowCount() == 1);
  }

  /** Marks the row unowned (if {@code epoch} is still current) and unlocks. */
  Future<Void> release(long epoch) {
    return connection.preparedQuery(RELEASE).execute(Tuple.of(server, epoch))
        .compose(r -> connection.preparedQuery(UNLOCK).execute(Tuple.of(lockId)))
        .mapEmpty();
  }

  Future<Void> close() {
    return connection.close();
  }
}
