package dev.contactcenter.dispatch;

import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ALL;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_CLAIM;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_EXPIRE;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_MARK_SENT;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_REQUEUE;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_STATS;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.bus.OriginateCommand;
import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher of one Asterisk server, on every node; it works only while this node owns the server (the node
 * whose ARI verticle dials on it, {@code cluster.ownership}): then it admits calls on the API's immediate path while
 * capacity is free, and otherwise takes the server's queued calls off the durable queue in order, as its
 * {@link Pacer} allows, and sends them to the server's ARI verticle. Woken by a bus message when the API queues a
 * call, by every call that ends (capacity freed, or a retry scheduled), and by a slow poll.
 */
public final class DispatchVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(DispatchVerticle.class);
  private static final long STATS_EVERY_MS = 2_000;
  private static final long OWNERSHIP_CHECK_MS = 1_000;
  /** A taken call not marked sent after this long was taken by a claimer that is gone: back to the queue. */
  private static final long ORPHAN_AFTER_MS = 30_000;
  private static final int MAX_BATCH = 50;
  /** How long before its slot the next queued call is taken off the queue and handed to the ARI verticle. */
  private static final long PREPARE_AHEAD_NANOS = 100_000_000;
  /** The most paced dials awaiting Asterisk's answer at once, whatever the rate. */
  private static final int MAX_WINDOW = 100;

  private final String server;
  private final DispatchLimits limits;
  private final int pollMs;
  private final String originateAddress;
  private final DispatchMetrics metrics;
  private final Pacer pacer;
  private final DeliveryOptions originateDelivery;
  private boolean draining;
  private boolean drainAgain;
  /** Due calls may be waiting in the database: new calls queue behind them rather than overtake them. */
  private boolean backlog = true;
  private long wakeTimer = -1;
  private long wakeAt;
  private long pollTimer;
  private long statsTimer;
  private long polls;
  private long ownershipTimer;
  /**
   * Completes when the last paced dial handed to the ARI verticle has left for Asterisk (its slot passed) or was
   * answered: only then is the next one marked sent, so at most one marked call waits for its slot there.
   */
  private Future<Void> previousLeft = Future.succeededFuture();
  /** Paced dials handed to the ARI verticle whose answer has not come yet (sent to Asterisk, or about to be). */
  private int inFlight;
  /** The paced dials handed over that have not left for Asterisk yet, by call id (completed when they leave). */
  private final Map<String, Promise<Void>> leaving = new HashMap<>();
  /** Where the ARI verticle says a paced dial left (this verticle's own address). */
  private final String leftAddress;
  /**
   * How many paced dials may wait for Asterisk's answer at once: one second's worth at the rate (at least 2), at most
   * what the originate timeout allows, so a slow answer does not cap the rate at one dial per answer time.
   */
  private final int window;
  /** This node's ownership epoch of the server while it owns it. */
  private long epoch;
  /** The admit and wake consumers, registered while this node owns the server (empty otherwise). */
  private List<MessageConsumer<JsonObject>> consumers = List.of();

  /** @param originateTimeoutMs how long a dial request may take to be answered */
  public DispatchVerticle(String server, DispatchLimits limits, int pollMs, long originateTimeoutMs,
      DispatchMetrics metrics) {
    this.server = server;
    this.limits = limits;
    this.pollMs = pollMs;
    this.originateAddress = EventBusAddresses.ariOriginateOn(server);
    this.metrics = metrics;
    this.pacer = new Pacer(limits);
    this.originateDelivery = new DeliveryOptions().setSendTimeout(originateTimeoutMs);
    this.window = inFlightWindow(limits.maxCallsPerSecond(), originateTimeoutMs);
    this.leftAddress = EventBusAddresses.DISPATCH_PREFIX + "left." + server + "." + UUID.randomUUID();
  }

  static int inFlightWindow(int callsPerSecond, long originateTimeoutMs) {
    long byTimeout = Math.max(1, callsPerSecond * originateTimeoutMs / 1_000);
    return (int) Math.max(1, Math.min(byTimeout, Math.max(2, Math.min(callsPerSecond, MAX_WINDOW))));
  }

  @Override
  public Future<?> start() {
    MessageConsumer<JsonObject> ended = vertx.eventBus().consumer(CALL_STATUS_ALL, this::statusChanged);
    ownershipTimer = vertx.setPeriodic(OWNERSHIP_CHECK_MS, id -> checkOwnership());
    return ended.completion().compose(ready -> checkOwnership());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(ownershipTimer);
    return deactivate();
  }

  /** Starts dispatching when this node became the server's owner, stops when it is not any more. */
  private Future<Void> checkOwnership() {
    return vertx.eventBus().<JsonObject>request(CLUSTER_OWNERSHIP, new JsonObject())
        .map(reply -> reply.body().getJsonArray("servers", new JsonArray()).stream().map(JsonObject.class::cast)
            .filter(s -> server.equals(s.getString("server")) && "owner".equals(s.getString("role")))
            .findFirst().map(s -> s.getLong("epoch")).orElse(null))
        .otherwise((Long) null)
        .compose(ownedEpoch -> {
          boolean owner = ownedEpoch != null;
          if (owner) {
            // Every queue write carries it: a superseded owner's claim or mark is refused by the database.
            epoch = ownedEpoch;
          }
          return owner && consumers.isEmpty() ? activate()
              : !owner && !consumers.isEmpty() ? deactivate() : Future.succeededFuture();
        });
  }

  private Future<Void> activate() {
    EventBus bus = vertx.eventBus();
    consumers = List.of(
        bus.consumer(EventBusAddresses.dispatchAdmitOn(server), this::admit),
        bus.consumer(EventBusAddresses.dispatchWakeOn(server), msg -> {
          backlog = true;
          drain();
        }),
        bus.consumer(leftAddress, msg -> left(msg.body().getString("call_id"))));
    backlog = true;
    pollTimer = vertx.setPeriodic(pollMs, id -> expireThenDrain());
    statsTimer = vertx.setPeriodic(STATS_EVERY_MS, id -> refreshStats());
    LOG.info("Server {}: dispatching its queue (limits: {} calls/s, {} concurrent)", server,
        limits.maxCallsPerSecond(), limits.maxConcurrentCalls());
    // The server's (new) owner: calls its previous owner took but never sent go back to the queue first.
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(ready -> requeue(0).otherwise(0))
        .onComplete(done -> {
          refreshStats();
          drain();
        })
        .mapEmpty();
  }

  private Future<Void> deactivate() {
    vertx.cancelTimer(pollTimer);
    vertx.cancelTimer(statsTimer);
    vertx.cancelTimer(wakeTimer);
    wakeTimer = -1;
    List<MessageConsumer<JsonObject>> active = consumers;
    consumers = List.of();
    return Future.all(active.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  /** The API asks whether a new call may be dialled now; yes reserves its slot. */
  private void admit(Message<JsonObject> msg) {
    long now = System.nanoTime();
    boolean admitted = !backlog && pacer.canStart(now);
    if (admitted) {
      pacer.admittedNow(now);
      metrics.dialed(server, "immediate");
    } else {
      metrics.queued(server);
    }
    msg.reply(new JsonObject().put("admit", admitted).put("estimated_wait_ms", admitted ? 0
        : pacer.waitNanos(now) / 1_000_000));
  }

  private void statusChanged(Message<JsonObject> msg) {
    if (consumers.isEmpty()) {
      return;
    }
    JsonObject call = msg.body();
    if (!server.equals(call.getString("server", server)) || !CallState.isValid(call.getString("status"))) {
      return;
    }
    CallState status = CallState.of(call.getString("status"));
    String previous = call.getString("previous_status");
    if (status.isTerminal() && previous != null && !"queued".equals(previous)) {
      pacer.ended();
      // A slot is free, and a retry may have been queued by the same transition.
      drain();
    }
  }

  private void expireThenDrain() {
    vertx.eventBus().<JsonObject>request(DISPATCH_EXPIRE, new JsonObject().put("server", server))
        .onSuccess(reply -> {
          int expired = reply.body().getInteger("expired", 0);
          if (expired > 0) {
            LOG.info("{} queued call(s) on server {} expired (max_queue_seconds)", expired, server);
            metrics.expired(server, expired);
          }
        });
    if (++polls % Math.max(1, ORPHAN_AFTER_MS / pollMs) == 0) {
      requeue(ORPHAN_AFTER_MS);
    }
    backlog = true;
    drain();
  }

  private Future<Integer> requeue(long olderThanMs) {
    return vertx.eventBus().<JsonObject>request(DISPATCH_REQUEUE,
            new JsonObject().put("server", server).put("older_than_ms", olderThanMs))
        .map(reply -> reply.body().getInteger("requeued", 0))
        .onSuccess(n -> {
          if (n > 0) {
            LOG.warn("{} call(s) of server {} were taken off the queue but never dialled: back in the queue", n, server);
            metrics.requeued(server, n);
          }
        });
  }

  private void refreshStats() {
    int reservedBefore = pacer.active();
    vertx.eventBus().<JsonObject>request(DISPATCH_STATS, new JsonObject()).onSuccess(reply -> {
      JsonObject mine = null;
      for (Object item : reply.body().getJsonArray("servers", new JsonArray())) {
        JsonObject s = (JsonObject) item;
        if (server.equals(s.getString("server"))) {
          mine = s;
        }
      }
      long queued = mine == null ? 0 : mine.getLong("queued");
      metrics.queue(server, queued, mine == null ? 0 : mine.getDouble("oldest_wait_seconds"));
      // Only when nothing was reserved meanwhile, so a dial on its way is not forgotten.
      if (pacer.active() == reservedBefore) {
        pacer.resync(mine == null ? 0 : mine.getLong("active").intValue());
      }
    });
  }

  /**
   * Takes due calls while the pacer allows; one pass at a time, a request meanwhile runs right after it. Under a rate
   * limit the next call is taken and handed over up to {@link #PREPARE_AHEAD_NANOS} before its slot, so the
   * database's latency does not delay its dial.
   */
  private void drain() {
    if (consumers.isEmpty()) {
      return;
    }
    if (draining) {
      drainAgain = true;
      return;
    }
    long now = System.nanoTime();
    if (pacer.free() == 0) {
      // The concurrency limit is reached: a call that ends wakes us.
      return;
    }
    if (pacer.rateLimited() && inFlight >= window) {
      // As many paced dials as the window allows await Asterisk's answer: the next answer wakes us.
      return;
    }
    long wait = pacer.waitNanos(now);
    if (wait > PREPARE_AHEAD_NANOS) {
      wakeIn(Math.max(1, (wait - PREPARE_AHEAD_NANOS) / 1_000_000));
      return;
    }
    draining = true;
    drainAgain = false;
    int want = pacer.rateLimited() ? 1 : Math.min(MAX_BATCH, pacer.free());
    vertx.eventBus().<JsonObject>request(DISPATCH_CLAIM, new JsonObject().put("server", server).put("limit", want)
            .put("epoch", epoch))
        .map(Message::body)
        .compose(claimed -> {
          JsonArray items = claimed.getJsonArray("items");
          pacer.reserve(items.size());
          if (items.size() < want) {
            backlog = false;
            Long nextDue = claimed.getLong("next_due_ms");
            if (nextDue != null) {
              wakeIn(Math.max(1, Math.min(nextDue, pollMs)));
            }
          } else {
            drainAgain = true;
          }
          return Future.all(items.stream().map(item -> dial((JsonObject) item)).toList());
        })
        .onComplete(done -> {
          if (done.failed()) {
            LOG.warn("Queue of server {} not read: {}", server, done.cause().getMessage());
          }
          draining = false;
          if (drainAgain) {
            drain();
          }
        });
  }

  /**
   * Marks the call as about to be dialled and hands it to the ARI verticle with the moment its slot opens: from the
   * mark on it is never taken again; the ARI verticle sends it at that moment (a timer there, so the database's
   * latency never changes the spacing Asterisk sees) unless it is hung up meanwhile.
   */
  private Future<Void> dial(JsonObject call) {
    String callId = call.getString("call_id");
    // Paced: the next dial is marked once the previous one left, so that at most one waits for its slot in the ARI
    // verticle (a kill -9 then leaves at most one marked call unsent, which reconciliation ends failed).
    Future<Void> previous = pacer.rateLimited() ? previousLeft : Future.succeededFuture();
    return previous.compose(ready -> vertx.eventBus()
            .<JsonObject>request(DISPATCH_MARK_SENT, new JsonObject().put("call_id", callId).put("epoch", epoch)))
        .map(reply -> reply.body().getBoolean("sent"))
        .recover(failure -> {
          // Stays taken and unsent: put back in the queue by whoever owns the server ORPHAN_AFTER_MS later.
          LOG.warn("Call {} could not be marked sent, not dialled now: {}", callId, failure.getMessage());
          return Future.succeededFuture(false);
        })
        .map(sent -> {
          if (sent) {
            send(call);
          } else {
            // Canceled while it was being taken, or the database is away.
            pacer.ended();
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
            drain();
          }
        });
    previousLeft = left.future();
  }

  private void left(String callId) {
    Promise<Void> left = leaving.remove(callId);
    if (left != null) {
      left.tryComplete();
    }
  }

  private void wakeIn(long ms) {
    long at = System.currentTimeMillis() + ms;
    if (wakeTimer != -1 && wakeAt <= at) {
      return;
    }
    vertx.cancelTimer(wakeTimer);
    wakeAt = at;
    wakeTimer = vertx.setTimer(ms, id -> {
      wakeTimer = -1;
      drain();
    });
  }

  public DispatchLimits limits() {
    return limits;
  }
}
