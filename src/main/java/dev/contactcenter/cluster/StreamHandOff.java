package dev.contactcenter.cluster;

import dev.contactcenter.ari.AriVerticle;
import dev.contactcenter.ari.HandoffWait;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's event stream at the end of its ownership on this node. First {@link #closeToNewCalls}; then the
 * make-before-break end (a hand-over, or a graceful stop with other nodes to take the server): its ARI verticle, its
 * ownership released, goes on following the calls until the next owner's event stream registers the app
 * ({@link AriVerticle#followUntilReplaced}), so that the app never lacks a client; {@link #done()} completes then,
 * or after the bound, or when {@link #end()} is called.
 */
final class StreamHandOff {

  private static final Logger LOG = LoggerFactory.getLogger(StreamHandOff.class);

  private final Promise<Void> done = Promise.promise();

  StreamHandOff(Vertx vertx, String server, AriVerticle ari, long maxMs) {
    ari.followUntilReplaced().onComplete(replaced -> done.tryComplete());
    long timer = vertx.setTimer(Math.max(1, maxMs), t -> {
      if (done.tryComplete()) {
        LOG.warn("Server {}: no next owner's event stream within {} ms; this node stops following its calls",
            server, maxMs);
      }
    });
    done.future().onComplete(ended -> vertx.cancelTimer(timer));
  }

  /**
   * The part of a hand-over before the ownership is released, shared with a graceful stop: the server says it is being
   * handed over, keeps taking calls for {@code othersKnowMs} while the other nodes learn it, then closes to new calls
   * once its calls before their IVR hand-off have reached it (bounded by {@code handoffWaitMs}).
   */
  static Future<HandoffWait.Result> closeToNewCalls(Vertx vertx, AriVerticle ari, long othersKnowMs,
      long handoffWaitMs) {
    ari.handingOver(true);
    Future<?> othersKnow = othersKnowMs > 0 ? vertx.timer(othersKnowMs, TimeUnit.MILLISECONDS)
        : Future.succeededFuture();
    return othersKnow.compose(v -> ari.closeAfterHandoffs(handoffWaitMs));
  }

  /** Completes when the verticle may stop: replaced, out of time, or ended. */
  Future<Void> done() {
    return done.future();
  }

  /** Stops waiting (this node acquires the server again, or stops for good). */
  void end() {
    done.tryComplete();
  }
}
