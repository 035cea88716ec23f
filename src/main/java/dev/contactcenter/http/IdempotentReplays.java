package dev.contactcenter.http;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_REPLAY;

import dev.contactcenter.bus.BusError;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.UnaryOperator;

/** Call requests that repeat an earlier one, answered before anything would refuse them. */
final class IdempotentReplays {

  private final EventBus bus;
  /** Completes a replayed call's answer as a new call's would be (a queued call's expected start). */
  private final UnaryOperator<JsonObject> completed;

  IdempotentReplays(EventBus bus, UnaryOperator<JsonObject> completed) {
    this.bus = bus;
    this.completed = completed;
  }

  /**
   * A request that repeats an earlier one (same user and Idempotency-Key) is answered with the earlier call even where
   * a new call would be refused now: the retry asks for no new call, and the earlier call may itself be what fills a
   * limit. Otherwise, and when the database cannot say, {@code refuse} answers.
   */
  void orElse(RoutingContext rc, JsonObject row, int successStatus, Runnable refuse) {
    if (row.getString("idempotency_key") == null) {
      refuse.run();
      return;
    }
    JsonObject earlier = new JsonObject().put("owner", row.getString("owner"))
        .put("idempotency_key", row.getString("idempotency_key")).put("request_hash", row.getString("request_hash"));
    bus.<JsonObject>request(CALLS_REPLAY, earlier).map(Message::body).onSuccess(found -> {
      JsonObject first = found.getJsonObject("call");
      if (first == null) {
        refuse.run();
      } else {
        CreatedCall.respond(rc, completed.apply(first), successStatus, CreatedCall.REPLAYED);
      }
    }).onFailure(failure -> {
      if (BusError.httpStatusOf(failure) == BusError.UNPROCESSABLE.code()) {
        rc.fail(failure);
      } else {
        refuse.run();
      }
    });
  }
}
