package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_ACTIVE;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_GET;
import static dev.contactcenter.bus.EventBusAddresses.CALLS_MARKED_EARLIER;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.bus.TransitionCommand;
import dev.contactcenter.calls.CallState;
import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles every call the database holds as active against the channels Asterisk has: live ones are followed again
 * (re-subscribed, state caught up, sent to the IVR if they wait in our app); gone ones are ended with the best bound
 * of their end (the last moment they were known alive), marked approximate. Runs after every (re)connect of the
 * event stream, as soon as the database is back, and every minute; a run requested while one is in progress runs
 * right after it, never dropped.
 */
final class Reconciler {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  /** Active calls read from the database at once. */
  static final int PAGE_SIZE = 1_000;
  /** Rows settled per turn of the event loop. */
  static final int ROWS_PER_TURN = 500;
  static final String SOURCE = "reconciler";
  /** After the window of a call marked sent by an earlier owner, so that the run finds it in the active list. */
  static final long AFTER_MARK_WINDOW_MS = 250;

  private final Vertx vertx;
  private final AriClient ari;
  private final Map<String, TrackedCall> calls;
  private final TransitionRecorder recorder;
  private final IvrHandoff ivr;
  private final CallTimeouts timeouts;
  private final OwnerEpoch owner;
  private final long startedAtMillis = System.currentTimeMillis();
  private boolean running;
  private boolean requestedAgain;
  private long retryTimer = -1;
  private long markedTimer = -1;
  /** Until a run finds no call marked sent by an earlier owner still in its window, each successful run looks. */
  private boolean earlierMarksPossible = true;
  /** When the event stream was lost: calls that ended unobserved were known alive until then. */
  private Instant streamLostAt;

  /** @param owner the Asterisk server whose active calls this reconciler settles (each has its own), our epoch of it */
  Reconciler(Vertx vertx, AriClient ari, Map<String, TrackedCall> calls, TransitionRecorder recorder, IvrHandoff ivr,
      CallTimeouts timeouts, OwnerEpoch owner) {
    this.owner = owner;
    this.vertx = vertx;
    this.ari = ari;
    this.calls = calls;
    this.recorder = recorder;
    this.ivr = ivr;
    this.timeouts = timeouts;
  }

  void streamLost() {
    if (streamLostAt == null) {
      streamLostAt = Instant.now();
    }
  }

  /** Runs now, or right after the run in progress. */
  void request() {
    if (running) {
      requestedAgain = true;
      return;
    }
    vertx.cancelTimer(retryTimer);
    run();
  }

  void stop() {
    vertx.cancelTimer(retryTimer);
    vertx.cancelTimer(markedTimer);
  }

  private void run() {
    running = true;
    requestedAgain = false;
    long startedAt = System.currentTimeMillis();
    Instant lostAt = streamLostAt;
    Tally tally = new Tally();
    Future<JsonArray> firstPage = page(null, null);
    Future<Set<String>> live = ari.channelIds();
    Future<Void> settled = Future.all(firstPage, live)
        .compose(both -> pages(firstPage.result(), live.result(), startedAt, lostAt, tally));
    settled.onComplete(done -> {
      if (done.failed()) {
        LOG.warn("Reconciliation postponed: {}", done.cause().getMessage());
        // Retried soon, so calls are settled as soon as the database and Asterisk answer again.
        retryTimer = vertx.setTimer(timeouts.maxRetryMs(), id -> request());
        finished();
        return;
      }
      if (streamLostAt == lostAt) {
        streamLostAt = null;
      }
      if (earlierMarksPossible) {
        reconcileWhenEarlierMarksDue();
      }
      if (tally.followed + tally.settled > 0) {
        LOG.info("Reconciled {} active call(s) in {} ms: {} still live, {} ended while unobserved",
            tally.followed + tally.settled, System.currentTimeMillis() - startedAt, tally.followed, tally.settled);
      }
      finished();
    });
  }

  /**
   * Calls an earlier owner (a process killed a moment ago, say) marked sent just before it went are left out of the
   * active list while their originate may still be on its way to Asterisk. Once that window has passed, Asterisk's
   * channel list says for certain whether they were dialled: reconcile right then, not at the periodic pass up to a
   * minute later (the run settles a missing one, follows a live one).
   */
  private void reconcileWhenEarlierMarksDue() {
    vertx.eventBus().<JsonObject>request(CALLS_MARKED_EARLIER,
        new JsonObject().put("server", owner.server()).put("epoch", owner.epoch())).onSuccess(reply -> {
          Long dueInMs = reply.body().getLong("due_in_ms");
          if (dueInMs == null) {
            earlierMarksPossible = false;
            return;
          }
          vertx.cancelTimer(markedTimer);
          markedTimer = vertx.setTimer(Math.max(1, dueInMs) + AFTER_MARK_WINDOW_MS, id -> request());
        });
  }

  /**
   * Settles the server's active calls a page at a time (in creation order), reading the next page after settling
   * this one: with 100,000 calls in progress, neither the persistence loop nor this one is held for all of them.
   */
  private Future<Void> pages(JsonArray page, Set<String> live, long startedAt, Instant lostAt, Tally tally) {
    return settle(page, 0, live, startedAt, lostAt, tally).compose(v -> {
      if (page.size() < PAGE_SIZE) {
        return Future.succeededFuture();
      }
      JsonObject last = page.getJsonObject(page.size() - 1);
      return page(last.getString("created_at"), last.getString("call_id"))
          .compose(next -> pages(next, live, startedAt, lostAt, tally));
    });
  }

  /** One page of active calls, the first or the one after the given call. */
  private Future<JsonArray> page(String afterCreatedAt, String afterCallId) {
    JsonObject query = new JsonObject().put("server", owner.server()).put("limit", PAGE_SIZE);
    if (afterCreatedAt != null) {
      query.put("after_created_at", afterCreatedAt).put("after_call_id", afterCallId);
    }
    return vertx.eventBus().<JsonObject>request(CALLS_ACTIVE, query).map(reply -> reply.body().getJsonArray("items"));
  }

  private void finished() {
    running = false;
    if (requestedAgain) {
      request();
    }
  }

  private static final class Tally {
    int followed;
    int settled;
  }

  /**
   * Settles the rows from {@code from} on, {@link #ROWS_PER_TURN} per turn of the event loop, so that thousands of
   * calls after a restart never hold the loop (and the events of live calls) for long.
   */
  private Future<Void> settle(JsonArray active, int from, Set<String> live, long startedAt, Instant lostAt,
      Tally tally) {
    int to = Math.min(active.size(), from + ROWS_PER_TURN);
    for (int i = from; i < to; i++) {
      settleOne(active.getJsonObject(i), live, startedAt, lostAt, tally);
    }
    if (to >= active.size()) {
      return Future.succeededFuture();
    }
    Promise<Void> rest = Promise.promise();
    vertx.runOnContext(v -> settle(active, to, live, startedAt, lostAt, tally).onComplete(rest));
    return rest.future();
  }

  private void settleOne(JsonObject row, Set<String> live, long startedAt, Instant lostAt, Tally tally) {
    String callId = row.getString("call_id");
    TrackedCall tracked = calls.get(callId);
    if (tracked != null && (tracked.placing || tracked.trackedAtMillis >= startedAt)) {
      return;
    }
    if (tracked == null && "pending".equals(row.getString("status")) && isRecent(row, startedAt)) {
      // Stored by the API a moment ago; its originate request is on its way here.
      return;
    }
    if (live.contains(callId)) {
      if (tracked != null && lostAt == null) {
        // Followed, and the event stream was never lost since: its events arrive, nothing to catch up.
        return;
      }
      follow(row, tracked, false);
      tally.followed++;
    } else if (tracked == null) {
      settleNow(row, null, lastKnownAlive(row, null, lostAt));
      tally.settled++;
    } else {
      settleUnlessEnded(row, tracked, lostAt);
      tally.settled++;
    }
  }

  /**
   * A channel entered our app that this instance does not follow (answered while the service restarted, before
   * reconciliation ran): follow it if the database has it as an active call, otherwise hang it up rather than leave
   * a callee waiting in an application that will never serve them.
   */
  void adoptOrHangUp(String channelId) {
    findActive(channelId, false).onFailure(e -> {
      if (e instanceof ReplyException reply && reply.failureCode() == BusError.NOT_FOUND.code()) {
        LOG.warn("Channel {} entered the app but is no call of ours: hanging it up", channelId);
        ari.hangup(channelId);
      }
    });
  }

  /** A channel the dialplan sent into our app (and we handed back): if it is one of our calls, keep following it. */
  void adoptFromDialplan(String channelId) {
    findActive(channelId, true);
  }

  private Future<JsonObject> findActive(String channelId, boolean fromDialplan) {
    return vertx.eventBus().<JsonObject>request(CALLS_GET, new JsonObject().put("call_id", channelId).put("admin", true))
        .map(Message::body)
        .onSuccess(row -> {
          boolean active = row.getBoolean("is_active", false);
          if (active && !calls.containsKey(channelId)) {
            follow(row, null, fromDialplan);
          } else if (!active && !fromDialplan) {
            ari.hangup(channelId);
          }
        });
  }

  private void follow(JsonObject row, TrackedCall known, boolean inDialplan) {
    String callId = row.getString("call_id");
    CallState status = CallState.of(row.getString("status"));
    TrackedCall call = known;
    if (call == null) {
      call = new TrackedCall(callId, row.getString("context"), row.getString("extension"),
          row.getInteger("priority", 1), status);
      String answeredAt = row.getString("answered_at");
      if (answeredAt != null) {
        call.answeredAt(Instant.parse(answeredAt));
      }
      call.continued = call.answered() || inDialplan;
      call.inIvr = call.continued;
      calls.put(callId, call);
    }
    TrackedCall followed = call;
    if (status == CallState.PENDING && followed.advances(CallState.DIALING)) {
      followed.queued(CallState.DIALING);
      recorder.record(TransitionCommand.of(callId, CallState.DIALING, Instant.now(), SOURCE).withChannel(callId));
    }
    ari.subscribe(callId).compose(v -> ari.channel(callId)).onSuccess(channel -> {
      String state = channel.getString("state", "");
      Instant now = Instant.now();
      if ("Up".equals(state)) {
        followed.answeredAt(now);
        if (followed.advances(CallState.ANSWERED)) {
          followed.queued(CallState.ANSWERED);
          recorder.record(TransitionCommand.of(callId, CallState.ANSWERED, now, SOURCE));
        }
        JsonObject dialplan = channel.getJsonObject("dialplan", new JsonObject());
        if (!inDialplan && "Stasis".equalsIgnoreCase(dialplan.getString("app_name", ""))) {
          if (followed.continued && followed.context.equals(dialplan.getString("context"))) {
            // In our app from its own IVR (a Stasis() there): back to the IVR's next step, not its start.
            ivr.handBack(callId);
          } else {
            followed.continued = false;
            followed.inIvr = false;
            ivr.sendToIvr(followed);
          }
        }
      } else if ("Ringing".equals(state) && followed.advances(CallState.RINGING)) {
        followed.queued(CallState.RINGING);
        recorder.record(TransitionCommand.of(callId, CallState.RINGING, now, SOURCE));
      }
    }).onFailure(e -> {
      LOG.debug("Call {}: channel vanished while reconciling: {}", callId, e.getMessage());
      // Gone before our subscription took (e.g. hung up right after a takeover): its end event never comes to us,
      // so the next run, after the grace for events still queued, settles it instead of the 60 s one.
      if (calls.get(callId) == followed) {
        vertx.setTimer(timeouts.settleGraceMs(), id -> request());
      }
    });
  }

  /**
   * A pending call stored by this process within the originate window may still be on its way to us; one stored
   * before this verticle started never will be.
   */
  private boolean isRecent(JsonObject row, long now) {
    String created = row.getString("created_at");
    return created != null
        && Instant.parse(created).toEpochMilli() > Math.max(startedAtMillis, now - timeouts.pendingWindowMs());
  }

  /**
   * A call we follow whose channel Asterisk no longer lists. Its ChannelDestroyed may still be on its way: Asterisk
   * answers the channel list ahead of the events it has queued on our socket (seen under load: a call that had just
   * answered and ended was settled as failed before its answer and end were read). Settle it only if no end has been
   * seen within the grace period, as after a dropped connection that lost the events.
   */
  private void settleUnlessEnded(JsonObject row, TrackedCall call, Instant lostAt) {
    Instant aliveUntil = lastKnownAlive(row, call, lostAt);
    vertx.setTimer(timeouts.settleGraceMs(), id -> {
      if (!call.ended && calls.get(call.callId) == call) {
        settleNow(row, call, aliveUntil);
      }
    });
  }

  /**
   * The last moment the call is known to have been alive: when the event stream was lost (nothing said it ended
   * before), else the time of its last event stored. Not when that was stored ({@code updated_at}): under load, or
   * after a database outage, a write lands seconds after its event, and a bound taken from it made a 2 s call
   * 15 s long. Never before its answer.
   */
  private static Instant lastKnownAlive(JsonObject row, TrackedCall known, Instant lostAt) {
    Instant bound = lostAt != null && known != null ? lostAt : lastEventAt(row);
    String answered = row.getString("answered_at");
    Instant answeredAt = known != null && known.answeredAt != null ? known.answeredAt
        : answered == null ? null : Instant.parse(answered);
    return answeredAt != null && answeredAt.isAfter(bound) ? answeredAt : bound;
  }

  /** The latest of the call's stored event times (created, dialled, ringing, answered). */
  private static Instant lastEventAt(JsonObject row) {
    Instant last = Instant.parse(row.getString("created_at"));
    for (String field : new String[] {"dialed_at", "ringing_at", "answered_at"}) {
      String at = row.getString(field);
      if (at != null && Instant.parse(at).isAfter(last)) {
        last = Instant.parse(at);
      }
    }
    return last;
  }

  /** The channel is gone and its end was not observed: end the call with what is known, its end time a bound. */
  private void settleNow(JsonObject row, TrackedCall known, Instant aliveUntil) {
    String callId = row.getString("call_id");
    CallState status = CallState.of(row.getString("status"));
    String storedAnswer = row.getString("answered_at");
    Instant answeredAt = known != null && known.answeredAt != null ? known.answeredAt
        : storedAnswer == null ? null : Instant.parse(storedAnswer);
    TransitionCommand end = answeredAt != null
        ? TransitionCommand.of(callId, CallState.COMPLETED, aliveUntil, SOURCE).withAnsweredAt(answeredAt)
            .withFailure("end time approximate: the call ended while the service was not receiving Asterisk events")
        : TransitionCommand.of(callId, CallState.FAILED, aliveUntil, SOURCE).withFailure(status == CallState.PENDING
            ? "the service stopped before the call was placed"
            : "outcome unknown: the call ended while the service was not receiving Asterisk events");
    end = end.approximateEnd();
    if (known != null) {
      known.queued(end.status());
      known.ended = true;
    }
    recorder.record(end).onComplete(done -> {
      if (known != null) {
        calls.remove(callId, known);
      }
    });
  }
}
