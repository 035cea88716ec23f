package dev.contactcenter.cluster;

import dev.contactcenter.ari.AriSettings;
import dev.contactcenter.ari.AriVerticle;
import dev.contactcenter.ari.OwnerEpoch;
import dev.contactcenter.metrics.CallMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Asterisk server on this node: its {@link ServerOwnership}, and while this node owns the server, an
 * {@link AriVerticle} for it under the owned epoch. Acquired → the verticle is deployed (it reconciles the server's
 * active calls as soon as its event stream opens); lost or fenced → it is undeployed (the calls go on in Asterisk and
 * the next owner follows them). Deploys and undeploys run one after another, in the order ownership changed.
 *
 * <p>Losing the database session is not losing the server: while the database is away nobody can take the lock, so
 * the verticle stays and keeps following the calls (their writes wait, as they always did during an outage). If this
 * node takes the server back, the verticle goes on under the new epoch; if another node took it, it is undeployed.
 */
final class ServerRuntime implements OwnershipListener {

  private static final Logger LOG = LoggerFactory.getLogger(ServerRuntime.class);
  /** How long a server is owned before it may be handed over for balance. */
  static final long SETTLED_OWNERSHIP_NS = 10_000_000_000L;
  /**
   * How long a server being handed over keeps taking calls before its hand-off wait starts: every node's
   * {@link ServerDirectory} has read "handing over" by then (one read a second, each bounded to 0.5 s) and sends
   * new calls elsewhere, so the few that still come are the ones refused (RESEND) for the next owner.
   */
  static final long OTHERS_KNOW_MS = 2_000;
  /** How long a server handed over is still followed here at most, waiting for the next owner's event stream. */
  static final long SUCCESSOR_WAIT_MS = 15_000;

  private final Vertx vertx;
  private final String server;
  private final AriSettings settings;
  private final CallMetrics metrics;
  private final ServerOwnership ownership;
  private volatile AriVerticle verticle;
  /** The ARI verticle's deployment id (null while none), after every change queued so far. */
  private Future<String> deployment = Future.succeededFuture();
  private boolean stopping;
  /** The verticle is kept across a lost database session, waiting to learn who owns the server next. */
  private boolean suspended;
  /** The kept verticle had a write refused: another node owned the server meanwhile; never renew it. */
  private volatile boolean fenced;
  /** Being handed over to another node: no new call is chosen for it here. */
  private volatile boolean leaving;
  private volatile long acquiredAtNs;
  /** The verticle of a server given up, still following its calls until the next owner's does (null: none). */
  private StreamHandOff handOff;
  private String ownershipId;
  private final String nodeName;

  ServerRuntime(Vertx vertx, String server, AriSettings settings, CallMetrics metrics, PgConnectOptions database,
      String nodeName, OwnershipTiming timing, BooleanSupplier othersFirst, NodeLiveness liveness) {
    this.vertx = vertx;
    this.server = server;
    this.settings = settings;
    this.metrics = metrics;
    this.nodeName = nodeName;
    this.ownership = new ServerOwnership(database, server, nodeName, timing, this, othersFirst, liveness);
  }

  /** Completes after the first ownership attempt and, when it won, once the ARI verticle is deployed. */
  Future<Void> start() {
    return vertx.deployVerticle(ownership).compose(id -> {
      synchronized (this) {
        ownershipId = id;
        return deployment.<Void>mapEmpty().otherwiseEmpty();
      }
    });
  }

  /**
   * Undeploys the ARI verticle first (its last writes still carry a current epoch), then gives ownership up. With
   * {@code successorWaitMs} above 0 (a graceful stop, other nodes present), make-before-break instead: the ownership
   * is given up first and {@code released} runs, while the verticle follows the calls until the next owner's stream
   * has the app, for at most that long.
   */
  Future<Void> stop(long successorWaitMs, Runnable released) {
    Future<String> ariStopped;
    String id;
    boolean keepStream;
    synchronized (this) {
      stopping = true;
      suspended = false;
      AriVerticle ari = verticle;
      verticle = null;
      endHandOff();
      id = ownershipId;
      keepStream = ari != null && id != null && successorWaitMs > 0 && !settings.simulated();
      handOff = keepStream ? new StreamHandOff(vertx, server, ari, successorWaitMs) : null;
      Future<Void> following = keepStream ? handOff.done() : Future.succeededFuture();
      deployment = deployment.transform(done -> following.transform(v -> undeploy(done)));
      ariStopped = deployment;
    }
    if (keepStream) {
      // The ARI verticle was deployed from the ownership's: undeploying that one now would take it along.
      return ownership.giveUp().otherwiseEmpty().onComplete(done -> released.run())
          .transform(done -> ariStopped).transform(done -> vertx.undeploy(id)).otherwiseEmpty().mapEmpty();
    }
    return ariStopped.transform(done -> id == null ? Future.<Void>succeededFuture() : vertx.undeploy(id))
        .otherwiseEmpty().onComplete(done -> released.run()).mapEmpty();
  }

  /**
   * Hands the server to another node (the balance): no new call is chosen for it here, and after
   * {@link #OTHERS_KNOW_MS} none elsewhere; the calls before their IVR hand-off get up to {@code handoffWaitMs} to
   * reach it (Asterisk hangs up a callee answering while no client has the app); then new calls are answered RESEND,
   * the ownership is released, and the ARI verticle stops once the next owner's stream follows the calls.
   * True when handed over; false when there was nothing to hand over or ownership changed meanwhile.
   */
  Future<Boolean> handOver(long handoffWaitMs) {
    AriVerticle ari;
    synchronized (this) {
      if (stopping || suspended || leaving || verticle == null) {
        return Future.succeededFuture(false);
      }
      ari = verticle;
      leaving = true;
    }
    return StreamHandOff.closeToNewCalls(vertx, ari, OTHERS_KNOW_MS, handoffWaitMs).otherwiseEmpty()
        .compose(waited -> stopAndRelease(ari));
  }

  /**
   * The hand-over's end, make-before-break: the ownership is released while the ARI verticle goes on following the
   * calls (its writes accepted until the next owner takes the epoch); it stops when the next owner's event stream has
   * the app, or after {@link #SUCCESSOR_WAIT_MS}. The sandbox's calls live in this process: its verticle stops first.
   */
  private Future<Boolean> stopAndRelease(AriVerticle ari) {
    StreamHandOff following;
    synchronized (this) {
      leaving = false;
      if (verticle != ari || stopping || suspended) {
        ari.handingOver(false);
        return Future.succeededFuture(false);
      }
      verticle = null;
      if (settings.simulated()) {
        deployment = deployment.transform(this::undeploy);
        return deployment.transform(done -> handOverCounted());
      }
      following = new StreamHandOff(vertx, server, ari, SUCCESSOR_WAIT_MS);
      handOff = following;
      deployment = deployment.transform(done -> following.done().transform(v -> undeploy(done)));
    }
    return handOverCounted().onComplete(handed -> {
      if (handed.failed() || !handed.result()) {
        following.end();
      }
    });
  }

  private Future<Boolean> handOverCounted() {
    return ownership.handOver().onSuccess(handed -> {
      if (handed) {
        metrics.handedOver(server);
      }
    });
  }

  /** Stops a verticle still following a server given up (this node acquires the server again, or stops). */
  private void endHandOff() {
    if (handOff != null) {
      handOff.end();
      handOff = null;
    }
  }

  /** Whether this node owns the server and keeps it (not being handed over). */
  boolean keeps() {
    return verticle != null && !leaving;
  }

  /**
   * Whether the server may be handed over now: kept here for {@link #SETTLED_OWNERSHIP_NS} at least, so that its
   * calls are reconciled (the hand-over waits for those it knows) and a server just taken over is not moved again.
   */
  boolean canHandOver() {
    return keeps() && !suspended && System.nanoTime() - acquiredAtNs >= SETTLED_OWNERSHIP_NS;
  }

  /** Calls this node follows on the server (0 when not owned): the fewer, the cheaper a hand-over. */
  int activeCalls() {
    AriVerticle ari = verticle;
    return ari == null ? 0 : ari.activeCalls();
  }

  @Override
  public synchronized void acquired(String server, long epoch) {
    if (stopping) {
      return;
    }
    // Only the next epoch proves nobody owned the server in between (and stored outcomes of its calls meanwhile).
    if (suspended && verticle != null && !fenced && epoch == verticle.owner().epoch() + 1) {
      suspended = false;
      verticle.owner().renew(epoch);
      LOG.info("Server {}: owned again (epoch {}); its calls were followed all along", server, epoch);
      return;
    }
    if (suspended) {
      drop();
    }
    endHandOff();
    fenced = false;
    acquiredAtNs = System.nanoTime();
    OwnerEpoch owner = new OwnerEpoch(server, epoch);
    AriVerticle ari = new AriVerticle(settings, metrics, owner, () -> {
      fenced = true;
      ownership.relinquish(owner.epoch(), "the database refused a write of epoch " + owner.epoch()
          + " (fenced): another node owns the server now");
    });
    verticle = ari;
    deployment = deployment.transform(previous -> vertx.deployVerticle(ari)).onFailure(e ->
        LOG.error("Server {}: the ARI verticle did not start: {}", server, e.toString()));
  }

  @Override
  public synchronized void lost(String server, long epoch, String reason) {
    // Stopping, the ownership's own stop says so: stop() has the verticle's end in hand.
    if (!stopping) {
      drop();
    }
  }

  @Override
  public synchronized void suspended(String server, long epoch, String reason) {
    if (verticle != null && !stopping) {
      suspended = true;
      LOG.warn("Server {}: still following its calls until the database says who owns it", server);
    }
  }

  @Override
  public synchronized void standingBy(String server, String ownerNode) {
    if (suspended) {
      LOG.warn("Server {} is owned by node {} now: this node stops following its calls", server, ownerNode);
      drop();
    }
  }

  private void drop() {
    endHandOff();
    suspended = false;
    verticle = null;
    deployment = deployment.transform(this::undeploy);
  }

  private Future<String> undeploy(io.vertx.core.AsyncResult<String> previous) {
    if (previous.failed() || previous.result() == null) {
      return Future.succeededFuture();
    }
    return vertx.undeploy(previous.result()).<String>map((String) null).otherwise((String) null);
  }

  String server() {
    return server;
  }

  /** The ARI verticle while this node owns the server, else null. */
  AriVerticle verticle() {
    return verticle;
  }

  ServerOwnership ownership() {
    return ownership;
  }

  /**
   * {@code {server, role: owner|standby|unowned, epoch, owner_node?, ownership_unconfirmed?}} as this node sees it
   * now. While the database is away the kept verticle still follows the server's calls: this node shows itself as
   * their owner under the epoch it last held, marked unconfirmed, rather than "unowned".
   */
  synchronized JsonObject describe() {
    AriVerticle kept = verticle;
    if (suspended && kept != null && !fenced) {
      return new JsonObject().put("server", server).put("role", "owner").put("epoch", kept.owner().epoch())
          .put("owner_node", nodeName).put("ownership_unconfirmed", true);
    }
    ServerOwnership.Role role = ownership.role();
    String shown = role == ServerOwnership.Role.OWNER ? "owner"
        : role == ServerOwnership.Role.STANDBY && ownership.known() && ownership.ownerNode() != null ? "standby"
        : "unowned";
    JsonObject entry = new JsonObject().put("server", server).put("role", shown).put("epoch", ownership.epoch());
    String owner = ownership.ownerNode();
    if (owner != null && !"unowned".equals(shown)) {
      entry.put("owner_node", owner);
    }
    return entry;
  }
}
