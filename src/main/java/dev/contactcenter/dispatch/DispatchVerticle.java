package dev.contactcenter.dispatch;

import static dev.contactcenter.bus.EventBusAddresses.CALL_STATUS_ENDED;
import static dev.contactcenter.bus.EventBusAddresses.CLUSTER_OWNERSHIP;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_CLAIM;

import dev.contactcenter.bus.EventBusAddresses;
import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
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
  /** How long before its slot the next queued call is taken off the queue. */
  private static final long PREPARE_AHEAD_NANOS = 100_000_000;
  /**
   * Under a rate limit, how much of the rate is claimed in one statement ahead of its slots: the claim's round trip
   * then no longer spaces the dials, only the mark of each call does.
   */
  private static final double CLAIM_AHEAD_SECONDS = 0.5;

  private final String server;
  private final DispatchLimits limits;
  private final int pollMs;
  private final DispatchMetrics metrics;
  private final Pacer pacer;
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
  private final long originateTimeoutMs;
  /** Hands claimed calls to the ARI verticle (paced: one by one, claimed ahead); made at start. */
  private PacedSender sender;
  /** Expiry, orphans back to the queue, queue figures; made at start. */
  private QueueUpkeep upkeep;
  /** Paced: how many calls one claim takes ahead of their slots. */
  private final int claimAhead;
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
    this.metrics = metrics;
    this.pacer = new Pacer(limits);
    this.originateTimeoutMs = originateTimeoutMs;
    this.claimAhead = (int) Math.max(1, Math.min(MAX_BATCH, Math.ceil(limits.maxCallsPerSecond()
        * CLAIM_AHEAD_SECONDS)));
  }

  @Override
  public Future<?> start() {
    sender = new PacedSender(vertx, server, pacer, limits.maxCallsPerSecond(), originateTimeoutMs, metrics,
        () -> epoch, this::drain);
    upkeep = new QueueUpkeep(vertx, server, pacer, metrics);
    MessageConsumer<JsonObject> ended = vertx.eventBus().consumer(CALL_STATUS_ENDED, this::statusChanged);
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
        bus.consumer(sender.leftAddress(), msg -> sender.left(msg.body().getString("call_id"))));
    backlog = true;
    pollTimer = vertx.setPeriodic(pollMs, id -> expireThenDrain());
    statsTimer = vertx.setPeriodic(STATS_EVERY_MS, id -> upkeep.refreshStats());
    LOG.info("Server {}: dispatching its queue (limits: {} calls/s, {} concurrent)", server,
        limits.maxCallsPerSecond(), limits.maxConcurrentCalls());
    // The server's (new) owner: calls its previous owner took but never sent go back to the queue first.
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(ready -> upkeep.requeue(0).otherwise(0))
        .onComplete(done -> {
          upkeep.refreshStats();
          drain();
        })
        .mapEmpty();
  }

  private Future<Void> deactivate() {
    vertx.cancelTimer(pollTimer);
    vertx.cancelTimer(statsTimer);
    vertx.cancelTimer(wakeTimer);
    wakeTimer = -1;
    sender.forgetClaimed();
    List<MessageConsumer<JsonObject>> active = consumers;
    consumers = List.of();
    return Future.all(active.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  /** The API asks whether a new call may be dialled now; yes reserves its slot. */
  private void admit(Message<JsonObject> msg) {
    long now = System.nanoTime();
    boolean admitted = !backlog && sender.waiting() == 0 && pacer.canStart(now);
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
      pacer.ended(call.getString("call_id"));
      // A slot is free: worth a read of the queue when calls may wait in it, or when this end queued a retry (the
      // database's calls_retry trigger did, in the same transition). Otherwise the queue held no due call at the
      // last read and every call queued since woke us (backlog), so reading it at each end of a call only costs.
      if (backlog || mayHaveQueuedRetry(call, status)) {
        drain();
      }
    }
  }

  /** V8's calls_retry rule as the status message shows it; a message without the retry fields may have one. */
  private static boolean mayHaveQueuedRetry(JsonObject call, CallState status) {
    JsonObject retry = call.getJsonObject("retry");
    Integer attempt = call.getInteger("attempt_number");
    if (retry == null || attempt == null || retry.getInteger("max_attempts") == null
        || retry.getJsonArray("on") == null) {
      return true;
    }
    return attempt < retry.getInteger("max_attempts") && retry.getJsonArray("on").contains(status.value());
  }

  private void expireThenDrain() {
    upkeep.expire();
    if (++polls % Math.max(1, ORPHAN_AFTER_MS / pollMs) == 0) {
      upkeep.requeue(ORPHAN_AFTER_MS);
    }
    backlog = true;
    drain();
  }

  /**
   * Takes due calls while the pacer allows; one pass at a time, a request meanwhile runs right after it. Under a rate
   * limit up to {@link #claimAhead} calls are taken in one statement, from {@link #PREPARE_AHEAD_NANOS} before the
   * next slot on, and the sender hands them over one by one; the next claim is made while it still has half of them.
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
    boolean paced = pacer.rateLimited();
    if (pacer.free() == 0) {
      // The concurrency limit is reached: a call that ends wakes us.
      return;
    }
    if (paced && (sender.windowFull() || sender.waiting() * 2 > claimAhead)) {
      // Enough claimed, or as many paced dials as the window allows await Asterisk's answer: the sender wakes us.
      return;
    }
    long wait = pacer.waitNanos(now);
    if (wait > PREPARE_AHEAD_NANOS && sender.waiting() == 0) {
      wakeIn(Math.max(1, (wait - PREPARE_AHEAD_NANOS) / 1_000_000));
      return;
    }
    draining = true;
    drainAgain = false;
    int want = Math.min(paced ? claimAhead - sender.waiting() : MAX_BATCH, pacer.free());
    vertx.eventBus().<JsonObject>request(DISPATCH_CLAIM, new JsonObject().put("server", server).put("limit", want)
            .put("epoch", epoch))
        .map(Message::body)
        .compose(claimed -> {
          List<JsonObject> items = claimed.getJsonArray("items").stream().map(JsonObject.class::cast).toList();
          if (consumers.isEmpty()) {
            // Ownership lost meanwhile: the calls stay claimed, and the server's next owner puts them back.
            return Future.succeededFuture();
          }
          pacer.claimed(items.stream().map(item -> item.getString("call_id")).toList());
          if (items.size() < want) {
            backlog = false;
            Long nextDue = claimed.getLong("next_due_ms");
            if (nextDue != null) {
              wakeIn(Math.max(1, Math.min(nextDue, pollMs)));
            }
          } else {
            drainAgain = true;
          }
          if (paced) {
            sender.queueAhead(items);
            return Future.succeededFuture();
          }
          return Future.all(items.stream().map(sender::dial).toList());
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
