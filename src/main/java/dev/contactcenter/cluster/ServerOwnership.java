package dev.contactcenter.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgConnectOptions;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exclusive ownership of one Asterisk server's event stream, held as a PostgreSQL session advisory lock on a
 * connection of its own. Exactly one node holds it; the others stand by and ask again every
 * {@link OwnershipTiming#retryMs()}. Each acquisition bumps the server's epoch in {@code asterisk_server_owners};
 * the owner carries that epoch on its writes and the database refuses an older one (V6's fencing trigger). Why
 * this lock: see {@link OwnershipSession}.
 *
 * <p>One instance per server, deployed as a verticle: all its state lives on its event loop. Its
 * {@link OwnershipListener} hears every change. On stop it unlocks, marks the row unowned and closes the
 * connection; {@link #handOver} gives the server up while the node lives on ({@link OwnershipBalance}). The
 * statements and the connection are {@link OwnershipSession}'s; this class holds the role and decides when to try,
 * beat, give up and hand over.
 */
public final class ServerOwnership extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ServerOwnership.class);

  /** The states an ownership goes through. */
  public enum Role { STANDBY, OWNER, STOPPED }

  private final PgConnectOptions database;
  private final String server;
  private final String nodeName;
  private final OwnershipTiming timing;
  private final OwnershipListener listener;

  /** The dedicated connection's session (its lock), null while there is none. */
  private OwnershipSession session;
  private Role role = Role.STANDBY;
  private long epoch;
  private NextStep next;
  private final OwnerHeartbeat heartbeat = new OwnerHeartbeat();
  /** While standing by: the node the row names as owner (the lock's holder), for /health and the log. */
  private volatile String ownerNode;
  /** True once an attempt got an answer from the database (owner or standby); false while it cannot. */
  private volatile boolean known;
  private final TakeRules takeRules;

  /**
   * @param othersFirst whether a free server is left to another node for now (the balance's yield rule)
   * @param liveness whether its former owner may be alive, when the database comes back
   */
  public ServerOwnership(PgConnectOptions database, String server, String nodeName, OwnershipTiming timing,
      OwnershipListener listener, BooleanSupplier othersFirst, NodeLiveness liveness) {
    this.takeRules = new TakeRules(new TakeDeferral(othersFirst, timing.retryMs() * 3),
        new FormerOwnerFirst(server, nodeName, liveness));
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
    next = new NextStep(vertx);
    return attempt().otherwiseEmpty();
  }

  /** Gives ownership up (unlock, row marked unowned) and closes the dedicated connection. */
  @Override
  public Future<?> stop() {
    boolean owned = role == Role.OWNER;
    long ownedEpoch = epoch;
    Future<Void> closed = giveUpNow();
    if (owned) {
      listener.lost(server, ownedEpoch, "stopped");
    }
    return closed;
  }

  /**
   * For a graceful stop that keeps the ARI verticle (deployed from this verticle, so undeployed with it) until the
   * next owner's stream has the app: gives ownership up for good as {@link #stop} does, without undeploying.
   */
  public Future<Void> giveUp() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> giveUpNow().onComplete(done));
    return done.future();
  }

  private Future<Void> giveUpNow() {
    next.cancel();
    long ownedEpoch = role == Role.OWNER ? epoch : 0;
    role = Role.STOPPED;
    OwnershipSession held = session;
    session = null;
    return held == null ? Future.succeededFuture() : closeReleasing(held, ownedEpoch);
  }

  /** Marks the row unowned if {@code ownedEpoch} (0: not owned), then closes the session: its lock goes with it. */
  private Future<Void> closeReleasing(OwnershipSession held, long ownedEpoch) {
    Future<Void> released = ownedEpoch == 0 ? Future.succeededFuture()
        : held.release(ownedEpoch).onSuccess(r -> LOG.info("Released server {} (epoch {})", server, ownedEpoch));
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

  /**
   * For the balance: gives the server up (row unowned, session and lock released) and stands by, leaving it to
   * others for a while. The caller's ARI verticle may still write under this epoch until the next owner takes it;
   * the epoch fence refuses its writes from then on. False when not owner.
   */
  public Future<Boolean> handOver() {
    Promise<Boolean> done = Promise.promise();
    context.runOnContext(v -> {
      OwnershipSession held = role == Role.OWNER ? session : null;
      if (held == null) {
        done.complete(false);
        return;
      }
      long handed = epoch;
      role = Role.STANDBY;
      epoch = 0;
      session = null;
      takeRules.handedOver();
      schedule(timing.retryMs(), this::attempt);
      LOG.info("Node {} hands server {} over (epoch {}) to balance ownership", nodeName, server, handed);
      closeReleasing(held, handed).onComplete(closed -> done.complete(true));
    });
    return done.future();
  }

  /**
   * Node {@code node} says it gave the server up (handed over, or stopping): a standby waiting for its next attempt
   * makes it now, and does not leave the server to that node as its former owner until the database next says who
   * owns it. The yield rule holds.
   */
  public void releasedBy(String node) {
    context.runOnContext(v -> {
      takeRules.releasedBy(node);
      if (role == Role.STANDBY && next.pending()) {
        next.cancel();
        attempt();
      }
    });
  }

  private Future<Void> attempt() {
    if (role == Role.STOPPED) {
      return Future.succeededFuture();
    }
    return connected()
        .compose(opened -> takeRules.mayTry(opened).compose(go -> go ? tryLock(opened) : lookAgainLater()))
        .recover(failure -> {
          known = false;
          takeRules.unreachable();
          LOG.warn("Ownership of server {}: {}; asking again in {} ms", server, failure.getMessage(),
              timing.retryMs());
          dropConnection();
          schedule(timing.retryMs(), this::attempt);
          return Future.failedFuture(failure);
        });
  }

  private Future<Void> tryLock(OwnershipSession opened) {
    return opened.tryLock().compose(locked -> locked ? take(opened) : standBy(opened));
  }

  /** Free, but left to another node for now. */
  private Future<Void> lookAgainLater() {
    known = true;
    schedule(timing.retryMs(), this::attempt);
    return Future.succeededFuture();
  }

  private Future<Void> take(OwnershipSession opened) {
    takeRules.answered();
    return opened.take(nodeName).compose(taken -> {
      if (role == Role.STOPPED) {
        return Future.succeededFuture();
      }
      epoch = taken;
      role = Role.OWNER;
      known = true;
      ownerNode = null;
      heartbeat.started();
      LOG.info("Node {} owns server {} (epoch {})", nodeName, server, epoch);
      listener.acquired(server, epoch);
      schedule(timing.heartbeatMs(), this::heartbeat);
      return Future.succeededFuture();
    });
  }

  /** Another session holds the lock: note (and say once) who, then ask again later. */
  private Future<Void> standBy(OwnershipSession opened) {
    takeRules.answered();
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
    long silentMs = heartbeat.silentMs();
    if (silentMs >= timing.lostAfterMs()) {
      lose("no answer from the database for " + silentMs + " ms", true);
      return Future.succeededFuture();
    }
    schedule(timing.heartbeatMs(), this::heartbeat);
    long ownedEpoch = epoch;
    return heartbeat.beat(session, ownedEpoch).map(current -> {
      if (!current && role == Role.OWNER && epoch == ownedEpoch) {
        lose("epoch " + ownedEpoch + " was superseded", false);
      }
      return null;
    });
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
    takeRules.lost(databaseLost);
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
    if (role != Role.STOPPED) {
      next.after(delayMs, action::get);
    }
  }
}
