package dev.contactcenter.ari;

import dev.contactcenter.calls.CallTimeouts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 *
 * <p>This class holds when runs happen and which rule a row meets; {@link ActiveCallPages} reads the rows,
 * {@link LiveCallFollower} and {@link GoneCallSettler} act on them, {@link EarlierMarksWatch} asks for the run
 * that settles calls an earlier owner marked sent.
 */
final class Reconciler {

  private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
  static final String SOURCE = "reconciler";

  private final Vertx vertx;
  private final Map<String, TrackedCall> calls;
  private final CallTimeouts timeouts;
  private final ActiveCallPages active;
  private final LiveCallFollower follower;
  private final GoneCallSettler settler;
  private final EarlierMarksWatch earlierMarks;
  private final AriClient ari;
  private final long startedAtMillis = System.currentTimeMillis();
  private boolean running;
  private boolean requestedAgain;
  private long retryTimer = -1;
  /** When the event stream was lost: calls that ended unobserved were known alive until then. */
  private Instant streamLostAt;

  /** @param owner the Asterisk server whose active calls this reconciler settles (each has its own), our epoch of it */
  Reconciler(Vertx vertx, AriClient ari, Map<String, TrackedCall> calls, TransitionRecorder recorder, IvrHandoff ivr,
      CallTimeouts timeouts, OwnerEpoch owner) {
    this.vertx = vertx;
    this.ari = ari;
    this.calls = calls;
    this.timeouts = timeouts;
    this.active = new ActiveCallPages(vertx, owner);
    this.follower = new LiveCallFollower(vertx, ari, calls, recorder, ivr, timeouts, this::request);
    this.settler = new GoneCallSettler(vertx, calls, recorder, timeouts);
    this.earlierMarks = new EarlierMarksWatch(vertx, owner, this::request);
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
    earlierMarks.stop();
  }

  /** See {@link LiveCallFollower#adoptOrHangUp}. */
  void adoptOrHangUp(String channelId) {
    follower.adoptOrHangUp(channelId);
  }

  /** See {@link LiveCallFollower#adoptFromDialplan}. */
  void adoptFromDialplan(String channelId) {
    follower.adoptFromDialplan(channelId);
  }

  private void run() {
    running = true;
    requestedAgain = false;
    long startedAt = System.currentTimeMillis();
    Instant lostAt = streamLostAt;
    Tally tally = new Tally();
    Future<JsonArray> firstPage = active.first();
    Future<Set<String>> live = ari.channelIds();
    Future<Void> settled = Future.all(firstPage, live).compose(both -> active.settleFrom(firstPage.result(),
        row -> settleOne(row, live.result(), startedAt, lostAt, tally)));
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
      earlierMarks.afterRun();
      if (tally.followed + tally.settled > 0) {
        LOG.info("Reconciled {} active call(s) in {} ms: {} still live, {} ended while unobserved",
            tally.followed + tally.settled, System.currentTimeMillis() - startedAt, tally.followed, tally.settled);
      }
      finished();
    });
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
      follower.follow(row, tracked, false);
      tally.followed++;
    } else if (tracked == null) {
      settler.settleUnfollowed(row, lostAt);
      tally.settled++;
    } else {
      settler.settleUnlessEnded(row, tracked, lostAt);
      tally.settled++;
    }
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
}
