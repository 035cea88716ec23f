package dev.contactcenter.persistence;

import dev.contactcenter.bus.BusError;
import dev.contactcenter.lifecycle.InFlight;
import dev.contactcenter.logging.LogBudget;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code db.*} requests: the result, or the one mapping of a database failure to a bus failure code. The
 * answered work is tracked, so the verticle's stop can wait for requests it already accepted.
 */
final class DatabaseReplies {

  // The persistence verticle's logger: operators filter and budget these lines by that name.
  private static final Logger LOG = LoggerFactory.getLogger(PersistenceVerticle.class);
  private static final LogBudget BUSY_LOG = new LogBudget(20, 10_000);

  private final InFlight work;

  DatabaseReplies(InFlight work) {
    this.work = work;
  }

  void reply(Message<?> msg, Future<JsonObject> result) {
    reply(msg, result, failure -> null);
  }

  /**
   * Replies with the result, or fails the message: {@code translate} turns a failure it knows into a typed bus
   * error (null when it does not know it); unexpected errors are logged once.
   */
  void reply(Message<?> msg, Future<JsonObject> result, Function<Throwable, Throwable> translate) {
    work.track(result).onSuccess(msg::reply).onFailure(failure -> fail(msg, failure, translate.apply(failure)));
  }

  /** Tracks work whose success the caller answers itself (e.g. with a local codec). */
  <T> Future<T> track(Future<T> result) {
    return work.track(result);
  }

  /** Fails the message with {@code mapped} when there is one, else with the code the database failure means. */
  static void fail(Message<?> msg, Throwable failure, Throwable mapped) {
    Throwable effective = mapped != null ? mapped : failure;
    if (effective instanceof ReplyException reply) {
      msg.fail(reply.failureCode(), reply.getMessage());
    } else if (PoolBusy.is(failure)) {
      // Every connection is in use (a burst): the database is up, the client should retry shortly. A client's burst
      // can cause one of these per request, so the lines are budgeted.
      long suppressed = BUSY_LOG.take(System.currentTimeMillis());
      if (suppressed >= 0) {
        LOG.warn("Database request on {} found the pool busy ({} more such lines suppressed): {}", msg.address(),
            suppressed, failure.toString());
      }
      BusError.replyBusy(msg);
    } else {
      LOG.error("Database request on {} failed: {}", msg.address(), failure.toString());
      // The database's own text (host, port, SQL) stays in the log; a client learns only which kind of failure.
      boolean refused = failure instanceof PgException;
      msg.fail(refused ? BusError.INTERNAL.code() : BusError.UNAVAILABLE.code(),
          refused ? "the database refused the request" : "database unavailable");
    }
  }
}
