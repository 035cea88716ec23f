package dev.contactcenter.dispatch;

import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_MARK_SENT;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.bus.OriginateCommand;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a server's claimed calls to its ARI verticle, on the dispatcher's event loop: each call is marked sent in
 * the database, then handed over with the moment its slot opens (the ARI verticle sends it then, on a timer there,
 * so the database's latency never changes the spacing Asterisk sees). Under a rate limit the calls are claimed a few
 * at a time ahead of their slots ({@link #queueAhead}) and handed over one by one: the next is marked once the
 * previous one left, so at most one marked call waits for its slot (a kill -9 then leaves at most one marked call
 * unsent, which reconciliation ends failed; the claimed, unmarked ones go back to the queue).
 */
final class PacedSender {

  private static final Logger LOG = LoggerFactory.getLogger(PacedSender.class);
  /** The most paced dials awaiting Asterisk's answer at once, whatever the rate. */
  private static final int MAX_WINDOW = 100;

  private final Vertx vertx;
  private final String server;
  private final Pacer pacer;
  private final DispatchMetrics metrics;
  private final String originateAddress;
  private final DeliveryOptions originateDelivery;
  /** This node's ownership epoch of the server: every queue write carries it. */
  private final LongSupplier epoch;
  /** Called when there may be room for more: a paced call was handed over, or an answer freed a window place. */
  private final Runnable roomFreed;
  /** Where the ARI verticle says a paced dial left (this sender's own address). */
  private final String leftAddress;
  /**
   * How many paced dials may wait for Asterisk's answer at once: one second's worth at the rate (at least 2), at most
   * what the originate timeout allows, so a slow answer does not cap the rate at one dial per answer time.
   */
  private final int window;
  /** Claimed calls not marked sent yet, in queue order (paced only). */
  private final ArrayDeque<JsonObject> claimed = new ArrayDeque<>();
  private boolean feeding;
  /**
   * Completes when the last paced dial handed to the ARI verticle has left for Asterisk (its slot passed) or was
   * answered: only then is the next one marked sent.
   */
  private Future<Void> previousLeft = Future.succeededFuture();
  /** Paced dials handed to the ARI verticle whose answer has not come yet (sent to Asterisk, or about to be). */
  private int inFlight;
  /** The paced dials handed over that have not left for Asterisk yet, by call id (completed when they leave). */
  private final Map<String, Promise<Void>> leaving = new HashMap<>();

  /** @param originateTimeoutMs how long a dial request may take to be answered */
  PacedSender(Vertx vertx, String server, Pacer pacer, int callsPerSecond, long originateTimeoutMs,
      DispatchMetrics metrics, LongSupplier epoch, Runnable roomFreed) {
    this.vertx = vertx;
    this.server = server;
    this.pacer = pacer;
    this.metrics = metrics;
    this.epoch = epoch;
    this.roomFreed = roomFreed;
    this.originateAddress = EventBusAddresses.ariOriginateOn(server);
    this.originateDelivery = new DeliveryOptions().setSendTimeout(originateTimeoutMs);
    this.window = inFlightWindow(callsPerSecond, originateTimeoutMs);
    this.leftAddress = EventBusAddresses.DISPATCH_PREFIX + "left." + server + "." + UUID.randomUUID();
  }

  static int inFlightWindow(int callsPerSecond, long originateTimeoutMs) {
    long byTimeout = Math.max(1, callsPerSecond * originateTimeoutMs / 1_000);
    return (int) Math.max(1, Math.min(byTimeout, Math.max(2, Math.min(callsPerSecond, MAX_WINDOW))));
  }

  String leftAddress() {
    return leftAddress;
  }

  /** As many paced dials as the window allows await Asterisk's answer: the next answer makes room. */
  boolean windowFull() {
    return inFlight >= window;
  }

  /** Claimed calls waiting here to be marked and handed over. */
  int waiting() {
    return claimed.size();
  }

  /** Paced: claimed calls, handed over one by one in their order as their slots come. */
  void queueAhead(Collection<JsonObject> calls) {
    claimed.addAll(calls);
    feed();
  }

  /**
   * Forgets the claimed calls not handed over (this node no longer owns the server): they stay claimed and unsent in
   * the database, where the server's next owner puts them back in the queue.
   */
  void forgetClaimed() {
    for (JsonObject call : claimed) {
      pacer.released(call.getString("call_id"));
    }
    claimed.clear();
  }

  private void feed() {
    if (feeding || claimed.isEmpty() || windowFull()) {
      return;
    }
    feeding = true;
    dial(claimed.poll()).onComplete(done -> {
      feeding = false;
      feed();
      roomFreed.run();
    });
  }

  /**
   * Marks the call as about to be dialled and hands it to the ARI verticle: from the mark on it is never taken again;
   * the ARI verticle sends it when its slot opens unless it is hung up meanwhile. Unpaced calls go at once.
   */
  Future<Void> dial(JsonObject call) {
    String callId = call.getString("call_id");
    Future<Void> previous = pacer.rateLimited() ? previousLeft : Future.succeededFuture();
    return previous.compose(ready -> vertx.eventBus()
            .<JsonObject>request(DISPATCH_MARK_SENT, new JsonObject().put("call_id", callId)
                .put("epoch", epoch.getAsLong())))
        .map(reply -> reply.body().getBoolean("sent"))
        .recover(failure -> {
          // Stays taken and unsent: put back in the queue by whoever owns the server a while later.
          LOG.warn("Call {} could not be marked sent, not dialled now: {}", callId, failure.getMessage());
          return Future.succeededFuture(false);
        })
        .map(sent -> {
          if (sent) {
            pacer.marked(callId);
            send(call);
          } else {
            // Canceled while it was being taken, or the database is away.
            pacer.refused(callId);
          }
          return null;
        });
  }

  private void send(JsonObject call) {
    String callId = call.getString("call_id");
    long now = System.nanoTime();
    long wait = pacer.waitNanos(now);
    pacer.sent(now + wait);
    metrics.dialed(server, "queue");
    OriginateCommand command = new OriginateCommand(callId, call.getString("phone_number"),
        call.getString("context"), call.getString("extension"), call.getInteger("priority"),
        call.getInteger("timeout"), call.getString("caller_id"), call.getJsonObject("variables", new JsonObject()));
    JsonObject request = command.toJson().put("send_at_ms", System.currentTimeMillis() + wait / 1_000_000)
        .put("min_gap_ms", (pacer.spacingNanos() + 999_999) / 1_000_000);
    Promise<Void> left = Promise.promise();
    leaving.put(callId, left);
    inFlight++;
    vertx.eventBus().<JsonObject>request(originateAddress, request.put("left_address", leftAddress),
            originateDelivery)
        .onFailure(failure -> LOG.warn("Dial request of queued call {} got no answer (reconciliation settles it): {}",
            callId, failure.getMessage()))
        .onComplete(answered -> {
          // Answered (dialled, refused, canceled, or no answer in time): it waits in the ARI verticle no more.
          left(callId);
          inFlight--;
          if (inFlight == window - 1) {
            feed();
            roomFreed.run();
          }
        });
    previousLeft = left.future();
  }

  /** The ARI verticle says the call's dial left for Asterisk. */
  void left(String callId) {
    Promise<Void> left = leaving.remove(callId);
    if (left != null) {
      left.tryComplete();
    }
  }
}
