package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.ariHangupOn;
import static dev.contactcenter.bus.EventBusAddresses.ariOriginateOn;
import static dev.contactcenter.bus.EventBusAddresses.ariStatusOf;

import dev.contactcenter.calls.CallTimeouts;
import dev.contactcenter.metrics.CallMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to Asterisk. Wires the parts of a call's path, each with one job: {@link CallOriginator} places calls,
 * {@link CallEventHandler} turns ARI events into transitions, {@link IvrHandoff} sends answered calls to their IVR,
 * {@link Reconciler} settles calls against Asterisk's channels, and {@link TransitionRecorder} stores every transition
 * in order, retrying while the database is unavailable. All call state is confined to this verticle's event loop.
 */
public final class AriVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(AriVerticle.class);
  private static final long RECONCILE_EVERY_MS = 60_000;

  private final AriSettings settings;
  private final CallMetrics metrics;
  private final CallTimeouts timeouts;
  private final OwnerEpoch owner;
  private final Runnable onFenced;
  private final Map<String, TrackedCall> calls = new HashMap<>();
  private AriClient ari;
  private AriEventSocket socket;
  private AriEventFilter eventFilter;
  private TransitionRecorder recorder;
  private Reconciler reconciler;
  private HandoffWait handoffWait;
  private long reconcileTimer;
  /** Set when Asterisk gave our app's events to another client: we receive nothing any more. */
  private String replacedDetail;
  /** Set while the server is handed over to another node (the balance); read on the verticle's loop. */
  private volatile boolean leaving;
  /** Set at the hand-over's last step: new calls are refused with RESEND, for the next owner to take. */
  private volatile boolean closing;
  private List<MessageConsumer<JsonObject>> consumers = List.of();
  /** Completed when, the server handed over, the next owner's event stream took the app from this one. */
  private final Promise<Void> replacedBySuccessor = Promise.promise();
  private boolean successorExpected;

  /**
   * One Asterisk server's verticle, deployed by the node that owns the server under {@code owner}'s epoch.
   *
   * @param onFenced runs (on this verticle's event loop) when the database refused a write because another node
   *                 took the server over: the owner must stop
   */
  public AriVerticle(AriSettings settings, CallMetrics metrics, OwnerEpoch owner, Runnable onFenced) {
    this.settings = settings;
    this.metrics = metrics;
    this.timeouts = settings.timeouts();
    this.owner = owner;
    this.onFenced = onFenced;
  }

  public OwnerEpoch owner() {
    return owner;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    ari = new AriClient(vertx, settings);
    IvrHandoff ivr = new IvrHandoff(ari);
    WithdrawnOriginates withdrawn = new WithdrawnOriginates(ari);
    recorder = new TransitionRecorder(vertx, timeouts, owner, () -> reconciler.request(), onFenced);
    reconciler = new Reconciler(vertx, ari, calls, recorder, ivr, timeouts, owner);
    handoffWait = new HandoffWait(vertx, calls);
    CallEventHandler events = new CallEventHandler(calls, recorder, ivr, metrics, new CallEventHandler.Strangers() {
      @Override
      public void originatedEntered(String channelId) {
        reconciler.adoptOrHangUp(channelId);
      }

      @Override
      public void dialplanEntered(String channelId) {
        reconciler.adoptFromDialplan(channelId);
      }

      @Override
      public void dialling(String channelId) {
        withdrawn.dialling(channelId);
      }
    }, this::applicationReplaced);
    CallOriginator originator = new CallOriginator(vertx, ari, settings, calls, recorder, metrics, withdrawn,
        new CallIntake() {
          @Override
          public boolean connected() {
            return AriVerticle.this.connected();
          }

          @Override
          public String notConnectedReason() {
            return replacedDetail != null ? replacedDetail : socket.lastError();
          }

          @Override
          public Future<Void> firstAttempt() {
            return socket.firstAttempt();
          }

          @Override
          public boolean leaving() {
            return closing;
          }
        });
    eventFilter = new AriEventFilter(vertx, ari, CallEventHandler.HANDLED_EVENTS, owner.server());
    socket = new AriEventSocket(vertx, settings, CallEventHandler.HANDLED_EVENTS, events::onEvent,
        metrics::ariEventIgnored, () -> {
          replacedDetail = null;
          metrics.ariConnected(owner.server(), true);
          eventFilter.connected();
          reconciler.request();
        }, () -> {
          eventFilter.stopped();
          metrics.ariConnected(owner.server(), false);
          reconciler.streamLost();
        });
    consumers = List.of(
        bus.consumer(ariOriginateOn(owner.server()), originator::originate),
        bus.consumer(ariHangupOn(owner.server()), originator::hangup),
        bus.consumer(ariStatusOf(owner.server()), this::status));
    reconcileTimer = vertx.setPeriodic(RECONCILE_EVERY_MS, id -> {
      if (connected()) {
        reconciler.request();
      }
    });
    // Asterisk may be down at start: the service still starts, health says so, and the socket keeps retrying.
    socket.start();
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList());
  }

  /**
   * Before {@link #stop()} (a hand-over or a graceful stop): completes once no call is before its IVR hand-off any
   * more, or after {@code maxMs}; meanwhile the socket stays open so that callees who answer are still sent on to
   * their IVR. Then, on this verticle's loop in the same step, closes to new calls: from then on an originate is
   * answered RESEND (nothing done), which the API sends again until the next owner takes it, rather than placed here
   * with nobody left to follow it. The sandbox's calls live in this process and stop with it: nothing to wait for.
   */
  public Future<HandoffWait.Result> closeAfterHandoffs(long maxMs) {
    Promise<HandoffWait.Result> result = Promise.promise();
    context.runOnContext(v -> (settings.simulated() ? Future.succeededFuture(new HandoffWait.Result(0, 0))
        : handoffWait.await(maxMs)).onComplete(waited -> {
          closing = true;
          result.handle(waited);
        }));
    return result.future();
  }

  /** Stops following calls (they go on in Asterisk), after the transitions already observed are stored. */
  @Override
  public Future<?> stop() {
    metrics.ariConnected(owner.server(), false);
    vertx.cancelTimer(reconcileTimer);
    eventFilter.stopped();
    reconciler.stop();
    return socket.close().eventually(() -> recorder.drain(timeouts.drainMs())).onComplete(done -> ari.close());
  }

  private boolean connected() {
    return socket.connected() && replacedDetail == null;
  }

  /**
   * The hand-over's make-before-break end, once the ownership is released: this verticle takes no more requests (the
   * next owner's take them) and starts no reconciliation, but its stream stays open and it goes on storing its
   * calls' transitions (accepted until the next owner takes the epoch) until the next owner's stream registers the
   * app: Asterisk then tells this one ApplicationReplaced, and the returned future completes. So no event falls
   * between two streams, and no callee answers while the app has no client.
   */
  public Future<Void> followUntilReplaced() {
    context.runOnContext(v -> {
      successorExpected = true;
      vertx.cancelTimer(reconcileTimer);
      consumers.forEach(MessageConsumer::unregister);
    });
    return replacedBySuccessor.future();
  }

  /**
   * While its server is being handed over to another node, status says so ({@code handing_over}): the other nodes
   * choose another server for new calls while this one's calls reach their IVR.
   */
  public void handingOver(boolean leaving) {
    this.leaving = leaving;
    this.closing = false;
  }



  /** How many calls this verticle follows; read from another thread, a moment's value. */
  public int activeCalls() {
    return calls.size();
  }

  /** Whether this verticle follows its Asterisk's events now (the stream is open and still ours). */
  public boolean ariConnected() {
    return socket != null && connected();
  }

  /**
   * Asterisk gives an app's events to the last WebSocket that registered it and tells the previous one once: another
   * client with our app name now receives our calls' events. Taking them back would only start a tug of war, so say
   * it loudly and stop placing calls until an operator fixes the configuration. At a hand-over it is expected: the next
   * owner's stream has the app now ({@link #followUntilReplaced}).
   */
  private void applicationReplaced() {
    if (successorExpected) {
      LOG.info("Server {}: the next owner's event stream has the ARI application now; this node stops following",
          owner.server());
      replacedBySuccessor.tryComplete();
      return;
    }
    replacedDetail = "another client registered ARI application '" + settings.app() + "' (ApplicationReplaced):"
        + " this service receives no call events; check for a second instance or configuration using ARI_APP="
        + settings.app();
    LOG.error("Asterisk handed our ARI application's events to another client: {}", replacedDetail);
    metrics.ariApplicationReplaced();
    metrics.ariConnected(owner.server(), false);
    reconciler.streamLost();
  }

  private void status(Message<JsonObject> msg) {
    boolean connected = connected();
    String detail = settings.simulated()
        ? "SIMULATED: built-in ARI sandbox, no real phone calls are placed"
        : replacedDetail != null ? replacedDetail
        : connected ? "connected to Asterisk ARI at " + settings.httpUrl()
        : socket.lastError() != null ? socket.lastError() : "connecting to Asterisk ARI at " + settings.httpUrl();
    msg.reply(new JsonObject().put("server", owner.server()).put("epoch", owner.epoch())
        .put("connected", connected).put("simulated", settings.simulated())
        .put("detail", detail).put("active_calls", calls.size())
        .put("unstored_transitions", recorder.inFlight()).put("handing_over", leaving));
  }
}
