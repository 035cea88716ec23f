package dev.contactcenter;

import dev.contactcenter.ari.HandoffWait;
import dev.contactcenter.auth.PasswordHasher;
import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.cluster.ServerDirectory;
import dev.contactcenter.config.AppConfig;
import dev.contactcenter.db.DatabaseSupply;
import dev.contactcenter.lifecycle.ShutdownGate;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stop of a running {@link Application} within SHUTDOWN_GRACE_SECONDS (blocking): new calls are refused and
 * readiness turns down; requests in progress finish; calls not yet handed to their IVR are followed until they are
 * (or end), because Asterisk hangs up a callee who answers while no client has the app's socket open; then the ARI
 * socket closes (calls go on in Asterisk and the next start follows them again; in a cluster each server's
 * ownership is released first and its socket stays until the next owner's has the app); database writes already
 * sent finish; then Vert.x and the embedded database stop. One log line says what was drained.
 */
final class GracefulStop {

  // The application's logger: the stop's lines belong to the service's own lifecycle log.
  private static final Logger LOG = LoggerFactory.getLogger(Application.class);

  private final Vertx vertx;
  private final AppConfig config;
  private final DatabaseSupply database;
  private final PasswordHasher hasher;
  private final Application.Deployments deployments;

  GracefulStop(Vertx vertx, AppConfig config, DatabaseSupply database, PasswordHasher hasher,
      Application.Deployments deployments) {
    this.vertx = vertx;
    this.config = config;
    this.database = database;
    this.hasher = hasher;
    this.deployments = deployments;
  }

  void run() throws IOException {
    long started = System.nanoTime();
    long grace = TimeUnit.SECONDS.toNanos(config.shutdownGraceSeconds());
    // Keep a share of the grace for closing Vert.x and the embedded database.
    long deadline = started + grace - Math.min(TimeUnit.SECONDS.toNanos(3), grace / 4);
    // Calls before their IVR hand-off get what is left before that, less a margin for the undeploys.
    long handoffDeadline = deadline - Math.min(TimeUnit.SECONDS.toNanos(3), grace / 4);
    ShutdownGate gate = ShutdownGate.of(vertx);
    gate.startDraining();
    // A node leaving hands nothing over for balance: its servers go to the others when it stops.
    deployments.servers().stopBalancing();
    int requests = gate.inFlight();
    int unfinished = requests;
    int activeCalls = -1;
    HandoffWait.Result handoffs = new HandoffWait.Result(0, 0);
    try {
      unfinished = gate.awaitIdle(deadline);
      handoffs = handOverServers(handoffDeadline);
      activeCalls = activeCalls();
      undeploy("HTTP", deployments.http(), deadline);
      stopServers(deadline);
      Optional.ofNullable(ServerDirectory.of(vertx)).ifPresent(ServerDirectory::stop);
      undeploy("persistence", deployments.persistenceId(), deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        vertx.close().await(Math.max(1, TimeUnit.NANOSECONDS.toMillis(started + grace - System.nanoTime())),
            TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        LOG.warn("Vert.x did not close within the shutdown grace");
      } finally {
        hasher.close();
        database.close();
      }
    }
    LOG.info("Stopped in {} ms: {} HTTP request(s) in progress finished ({} cut off), {} new call(s) refused; {} "
        + "database write(s) finished ({} cut off); waited for {} call(s) to reach their IVR ({} still ringing at the "
        + "bound); {} call(s) still in progress in Asterisk, followed again on the next start{}",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), requests - unfinished, unfinished,
        gate.refused(), deployments.persistence().drained(), deployments.persistence().abandoned(),
        handoffs.waitedFor(), handoffs.stillPending(),
        activeCalls < 0 ? "unknown" : activeCalls,
        database.embedded() ? "; embedded PostgreSQL shut down (data kept in " + config.dataDir() + ")" : "");
  }

  /** Hands the owned servers over: waits (bounded) for calls before their IVR hand-off; see ServerRuntimes#leave. */
  private HandoffWait.Result handOverServers(long deadlineNanos) {
    long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    if (left <= 0) {
      return new HandoffWait.Result(0, 0);
    }
    try {
      return deployments.servers().leave(left).await(left + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("Waiting for calls to reach their IVR failed: {}", e.toString());
      return new HandoffWait.Result(0, 0);
    }
  }

  /** Calls the ARI side follows now (-1 when it does not answer in time). */
  private int activeCalls() {
    try {
      return vertx.eventBus().<JsonObject>request(EventBusAddresses.ARI_STATUS, new JsonObject(),
              new DeliveryOptions().setSendTimeout(1000))
          .map(reply -> reply.body().getInteger("active_calls", -1)).await(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Each owned server's ownership, released so that a standby node takes over at once, and its ARI verticle, kept
   * until the next owner's stream has the app (bounded by most of what is left of the grace).
   */
  private void stopServers(long deadlineNanos) {
    long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    try {
      deployments.servers().stop(left - Math.min(1000, left / 4)).await(left, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("Stopping the ARI verticles took longer than the shutdown grace allows; going on");
    } catch (RuntimeException e) {
      LOG.warn("Stopping the ARI verticles failed: {}", e.toString());
    }
  }

  private void undeploy(String what, String deploymentId, long deadlineNanos) {
    long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    try {
      vertx.undeploy(deploymentId).await(left, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("Stopping the {} verticle took longer than the shutdown grace allows; going on", what);
    } catch (RuntimeException e) {
      LOG.warn("Stopping the {} verticle failed: {}", what, e.toString());
    }
  }
}
