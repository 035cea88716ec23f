package dev.contactcenter.ari;

import static dev.contactcenter.bus.EventBusAddresses.CALLS_ACTIVE;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;

/**
 * Reads the calls the database holds as active for one Asterisk server, a page at a time in creation order, and
 * hands each row to the reconciler a bounded number per turn of the event loop: with 100,000 calls in progress,
 * neither the persistence loop nor the ARI one is held for all of them.
 */
final class ActiveCallPages {

  /** Active calls read from the database at once. */
  static final int PAGE_SIZE = 1_000;
  /** Rows settled per turn of the event loop. */
  static final int ROWS_PER_TURN = 500;

  private final Vertx vertx;
  private final OwnerEpoch owner;

  ActiveCallPages(Vertx vertx, OwnerEpoch owner) {
    this.vertx = vertx;
    this.owner = owner;
  }

  Future<JsonArray> first() {
    return page(null, null);
  }

  /** Settles {@code page}'s rows, then reads and settles the next page, until a page comes back short. */
  Future<Void> settleFrom(JsonArray page, Consumer<JsonObject> settle) {
    return rows(page, 0, settle).compose(v -> {
      if (page.size() < PAGE_SIZE) {
        return Future.succeededFuture();
      }
      JsonObject last = page.getJsonObject(page.size() - 1);
      return page(last.getString("created_at"), last.getString("call_id")).compose(next -> settleFrom(next, settle));
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

  /**
   * Settles the rows from {@code from} on, {@link #ROWS_PER_TURN} per turn of the event loop, so that thousands of
   * calls after a restart never hold the loop (and the events of live calls) for long.
   */
  private Future<Void> rows(JsonArray active, int from, Consumer<JsonObject> settle) {
    int to = Math.min(active.size(), from + ROWS_PER_TURN);
    for (int i = from; i < to; i++) {
      settle.accept(active.getJsonObject(i));
    }
    if (to >= active.size()) {
      return Future.succeededFuture();
    }
    Promise<Void> rest = Promise.promise();
    vertx.runOnContext(v -> rows(active, to, settle).onComplete(rest));
    return rest.future();
  }
}
