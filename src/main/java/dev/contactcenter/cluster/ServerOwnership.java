package dev.contactcenter.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgConnectOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exclusive ownership of one Asterisk server's event stream, held as a PostgreSQL session advisory lock on a
 * connection of its own. Exactly one node holds it; the others stand by and ask again every
 * {@link OwnershipTiming#retryMs()}. Each acquisition bumps the server's epoch in {@code asterisk_server_owners};
 * the owner carries that epoch on its writes and the database refuses an older one (V6's fencing trigger).
 *
 * <p>Why this lock rather than Hazelcast's: the lock lives exactly as long as the owner's database session. A
 * killed process's socket is closed by its kernel, PostgreSQL ends the session at once and the lock is free for the
 * next standby poll; a silent host is dropped by the session's TCP keep-alives (set here to ~8 s). Hazelcast's
 * failure detector, by default, waits up to 60 s and, in a network split, can let both halves believe they own.
 * And the state that must be protected is in PostgreSQL: a node cut from the database cannot write anyway, so the
 * database is the right judge of who owns.
 *
 * <p>One instance per server, deployed as a verticle: all its state lives on its event loop. {@link Listener} hears
 * every change. On stop it unlocks, marks the row unowned and closes the connection. The statements and the
 * connection are {@link OwnershipSession}'s; this class holds the role and decides when to try, beat and give up.
 */
public final class ServerOwnership extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ServerOwnership.class);

  /** The states an ownership goes through. */
  public enum Role { STANDBY, OWNER, STOPPED }

  /** Told, on the ownership's event loop, when this node starts and stops owning the server. */
  public interface Listener {
    void acquired(String server, long epoch);

    void lost(String server, long epoch, String reason);

    /**
     * Ownership ended because this node lost its database session (down, unreachable, too slow), not because
     * another node took over: nobody else can take the lock while the database is away either. By default the
     * same as {@link #lost}; a listener may keep following the server's calls until it learns who owns it next.
     */
    default void suspended(String server, long epoch, String reason) {
      lost(server, epoch, reason);
    }

    /** An attempt found the lock held by another session: {@code ownerNode} (may be null) owns the server. */
    default void standingBy(String server, String ownerNode) {
    }
  }

  private final PgConnectOptions database;
  private final String server;
  private final String nodeName;
  private final OwnershipTiming timing;
  private final Listener listener;

  /** The dedicated connection's session (its lock), null while there is none. */
  private OwnershipSession session;
  private Role role = Role.STANDBY;
  private long epoch;
  private long timer = -1;
  private long lastHeartbeatOk;
  private boolean heartbeatInFlight;
  /** While standing by: the node the row names as owner (the lock's holder), for /health and the log. */
  private volatile String ownerNode;
  /** True once an attempt got an answer from the database (owner or standby); false while it cannot. */
  private volatile boolean known;

  public ServerOwnership(PgConnectOptions database, String server, String nodeName, OwnershipTiming timing,
      Listener listener) {
    this.database = new PgConnectOptions(database)
        .addProperty("application_name", "cc-owner " + server + " " + nodeName);
    this.server = server;
    this.nodeName = nodeName;
    this.timing = timing;
    this.listener = listener;
  }

  /** Completes after the first attempt: this node owns the server, or stands by for it. */
  @Override
  public Future<?> start() {
    return attempt().otherwiseEmpty();
  }

  /** Gives ownership up (unlock, row marked unowned) and closes the dedicated connection. */
  @Override
  public Future<?> stop() {
    cancelTimer();
    boolean owned = role == Role.OWNER;
    long ownedEpoch = epoch;
    role = Role.STOPPED;
    if (session == null) {
      return Future.succeededFuture();
    }
    OwnershipSession held = session;
    session = null;
    Future<?> released = owned
        ? held.release(ownedEpoch).onSuccess(r -> LOG.info("Released server {} (epoch {})", server, ownedEpoch))
        : Future.succeededFuture();
    if (owned) {
      listener.lost(server, ownedEpoch, "stopped");
    }
    return released.transform(done -> held.close()).otherwiseEmpty();
  }

  public Role role() {
    return role;
  }

  /** The epoch this node owns the server under; 0 while it does not. */
  public long epoch() {
    return role == Role.OWNER ? epoch : 0;
  }

  public String server() {
    return server;
  }

  /** The node owning the server as last seen: this one while owner, the lock holder while standing by. */
  public String ownerNode() {
    return role == Role.OWNER ? nodeName : ownerNode;
  }

  /** Whether the last attempt reached the database: false means nobody here knows who owns the server. */
  public boolean known() {
    return known;
  }

  /**
   * Gives ownership up while keeping the lock's retry going: the database refused a write of {@code staleEpoch}
   * (fenced), so another node took the server over. Ignored when that epoch is no longer the one owned.
   */
  public void relinquish(long staleEpoch, String reason) {
    context.runOnContext(v -> {
      if (role == Role.OWNER && epoch == staleEpoch) {
        lose(reason, false);
      }
    });
  }

  private Future<Void> attempt() {
    if (role == Role.STOPPED) {
      return Future.succeededFuture();
    }
    return connected()
        .compose(opened -> opened.tryLock().compose(locked -> locked ? take(opened) : standBy(opened)))
        .recover(failure -> {
          known = false;
          LOG.warn("Ownership of server {}: {}; asking again in {} ms", server, failure.getMessage(),
              timing.retryMs());
          dropConnection();
          schedule(timing.retryMs(), this::attempt);
          return Future.failedFuture(failure);
        });
  }

  private Future<Void> take(OwnershipSession opened) {
    return opened.take(nodeName).compose(taken -> {
      if (role == Role.STOPPED) {
        return Future.succeededFuture();
      }
      epoch = taken;
      role = Role.OWNER;
      known = true;
      ownerNode = null;
      lastHeartbeatOk = System.nanoTime();
      LOG.info("Node {} owns server {} (epoch {})", nodeName, server, epoch);
      listener.acquired(server, epoch);
      schedule(timing.heartbeatMs(), this::heartbeat);
      return Future.succeededFuture();
    });
  }

  /** Another session holds the lock: note (and say once) who, then ask again later. */
  private Future<Void> standBy(OwnershipSession opened) {
    if (role != Role.STANDBY) {
      return Future.succeededFuture();
    }
    return opened.holder().map(holder -> {
      if (role == Role.STANDBY) {
        if (!known || !java.util.Objects.equals(holder, ownerNode)) {
          LOG.info("Server {} is owned by node {}: node {} stands by for it and does not open its ARI stream",
              server, holder == null ? "(unknown)" : holder, nodeName);
        }
        ownerNode = holder;
        known = true;
        listener.standingBy(server, holder);
        schedule(timing.retryMs(), this::attempt);
      }
      return null;
    });
  }

  /** Proves the session is alive and the epoch still ours; gives up ownership when it cannot within lostAfterMs. */
  private Future<Void> heartbeat() {
    if (role != Role.OWNER) {
      return Future.succeededFuture();
    }
    long silentMs = (System.nanoTime() - lastHeartbeatOk) / 1_000_000;
    if (silentMs >= timing.lostAfterMs()) {
      lose("no answer from the database for " + silentMs + " ms", true);
      return Future.succeededFuture();
    }
    schedule(timing.heartbeatMs(), this::heartbeat);
    if (heartbeatInFlight || session == null) {
      return Future.succeededFuture();
    }
    heartbeatInFlight = true;
    long ownedEpoch = epoch;
    return session.heartbeat(ownedEpoch)
        .onComplete(done -> heartbeatInFlight = false)
        .<Void>map(current -> {
          if (role == Role.OWNER && epoch == ownedEpoch) {
            if (current) {
              lastHeartbeatOk = System.nanoTime();
            } else {
              lose("epoch " + ownedEpoch + " was superseded", false);
            }
          }
          return null;
        })
        .otherwiseEmpty();
  }

  private Future<OwnershipSession> connected() {
    if (session != null) {
      return Future.succeededFuture(session);
    }
    return OwnershipSession.open(vertx, database, server).compose(opened -> {
      if (role == Role.STOPPED) {
        return opened.close().compose(v -> Future.failedFuture("stopped"));
      }
      session = opened;
      opened.onClose(() -> sessionClosed(opened));
      return opened.keepAlives();
    });
  }

  private void sessionClosed(OwnershipSession closed) {
    if (closed != session) {
      return;
    }
    session = null;
    if (role == Role.OWNER) {
      lose("connection to the database closed", true);
    }
  }

  /**
   * Stops owning: listener told, connection closed so that the server frees the lock, then standby.
   *
   * @param databaseLost the database session is gone or silent (no other owner known), rather than superseded
   */
  private void lose(String reason, boolean databaseLost) {
    long lostEpoch = epoch;
    role = Role.STANDBY;
    epoch = 0;
    LOG.warn("Node {} lost server {} (epoch {}): {}", nodeName, server, lostEpoch, reason);
    if (databaseLost) {
      listener.suspended(server, lostEpoch, reason);
    } else {
      listener.lost(server, lostEpoch, reason);
    }
    dropConnection();
    schedule(timing.retryMs(), this::attempt);
  }

  private void dropConnection() {
    OwnershipSession dropped = session;
    session = null;
    if (dropped != null) {
      dropped.close();
    }
  }

  private void schedule(long delayMs, java.util.function.Supplier<Future<Void>> action) {
    cancelTimer();
    if (role == Role.STOPPED) {
      return;
    }
    timer = vertx.setTimer(delayMs, id -> {
      timer = -1;
      action.get();
    });
  }

  private void cancelTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
