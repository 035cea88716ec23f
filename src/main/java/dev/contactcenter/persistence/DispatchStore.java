package dev.contactcenter.persistence;

import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_CANCEL;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_CLAIM;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_EXPIRE;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_MARK_SENT;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_REQUEUE;
import static dev.contactcenter.bus.EventBusAddresses.DISPATCH_STATS;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;

/**
 * The {@code db.dispatch.*} side of the persistence verticle: the durable queue of calls. Every statement moves calls
 * and records their timeline in one round trip, and takes rows with {@code FOR UPDATE SKIP LOCKED} so that two
 * claimers never take the same call.
 */
final class DispatchStore {

  private static final String TIMELINE = " INSERT INTO call_events (call_id, from_status, to_status, source, at)"
      + " SELECT id, previous_status, status, 'dispatch', now() FROM updated";

  /**
   * Due calls of a server in queue order, taken: {@code pending} with claimed_at set. $1 server, $2 how many, $3 the
   * taker's ownership epoch (V6's trigger refuses a superseded owner's write, CCF01).
   */
  private static final String CLAIM = "WITH next AS ("
      + "   SELECT id FROM calls WHERE server = $1 AND status = 'queued' AND claimed_at IS NULL AND ended_at IS NULL"
      + "   AND not_before <= now()"
      + "   ORDER BY not_before, created_at LIMIT $2 FOR UPDATE SKIP LOCKED"
      + " ), updated AS ("
      + "   UPDATE calls c SET status = 'pending', claimed_at = now(), updated_at = now(), owner_epoch = $3"
      + "   FROM next WHERE c.id = next.id RETURNING c.*, 'queued'::text AS previous_status"
      + " ), logged AS (" + TIMELINE + ")"
      + " SELECT " + Rows.CALL_COLUMNS + ", variables FROM updated ORDER BY not_before, created_at";

  /** Null when nothing is queued (GREATEST ignores a NULL, so without the CASE an empty queue read as "due now"). */
  private static final String NEXT_DUE = "SELECT CASE WHEN min(not_before) IS NULL THEN NULL"
      + " ELSE GREATEST(0, extract(epoch FROM min(not_before) - now()) * 1000)::bigint END"
      + " AS next_due_ms FROM calls WHERE server = $1 AND status = 'queued' AND claimed_at IS NULL AND ended_at IS NULL";

  /** The point after which a taken call may have been dialled: never sent twice, reconciled if its claimer died. */
  private static final String MARK_SENT = "UPDATE calls SET dial_sent_at = now(), owner_epoch = $2 WHERE id = $1"
      + " AND status = 'pending' AND claimed_at IS NOT NULL AND dial_sent_at IS NULL RETURNING id";

  /** Taken calls never sent (their claimer died or lost the server) go back to the queue, in their old place. */
  static final String REQUEUE = "WITH orphan AS ("
      + "   SELECT id FROM calls WHERE server = $1 AND status = 'pending' AND claimed_at IS NOT NULL"
      + "   AND ended_at IS NULL AND dial_sent_at IS NULL AND claimed_at <= now() - make_interval(secs => $2 / 1000.0)"
      + "   FOR UPDATE SKIP LOCKED"
      + " ), updated AS ("
      + "   UPDATE calls c SET status = 'queued', claimed_at = NULL, updated_at = now(), owner_epoch = NULL"
      + "   FROM orphan WHERE c.id = orphan.id RETURNING c.*, 'pending'::text AS previous_status"
      + " ), logged AS (" + TIMELINE + ")"
      + " SELECT " + Rows.CALL_COLUMNS + " FROM updated";

  private static final String EXPIRE = "WITH expired AS ("
      + "   SELECT id FROM calls WHERE server = $1 AND status = 'queued' AND claimed_at IS NULL AND ended_at IS NULL"
      + "   AND queue_expires_at <= now()"
      + "   FOR UPDATE SKIP LOCKED"
      + " ), updated AS ("
      + "   UPDATE calls c SET status = 'failed', ended_at = now(), updated_at = now(),"
      + "     failure_reason = 'not dialled within max_queue_seconds (' || c.max_queue_seconds || ' s): expired in the"
      + " queue of server ' || c.server"
      + "   FROM expired WHERE c.id = expired.id RETURNING c.*, 'queued'::text AS previous_status"
      + " ), logged AS (" + TIMELINE + ")"
      + " SELECT " + Rows.CALL_COLUMNS + " FROM updated";

  /**
   * Cancels a call its dispatcher has not sent: queued, or taken and not marked sent. The row lock orders it with
   * MARK_SENT: whichever comes second finds nothing to do.
   */
  private static final String CANCEL = "WITH target AS ("
      + "   SELECT id, status FROM calls WHERE id = $1 AND (status = 'queued'"
      + "   OR (status = 'pending' AND claimed_at IS NOT NULL AND dial_sent_at IS NULL)) FOR UPDATE"
      + " ), updated AS ("
      // Not an owner's write (no epoch): the API cancels a call no owner has sent, whichever node took it.
      + "   UPDATE calls c SET status = 'canceled', ended_at = now(), updated_at = now(), owner_epoch = NULL,"
      + "     failure_reason = 'canceled before it was dialled'"
      + "   FROM target WHERE c.id = target.id RETURNING c.*, target.status AS previous_status"
      + " ), logged AS ("
      + "   INSERT INTO call_events (call_id, from_status, to_status, source, at)"
      + "   SELECT id, previous_status, status, 'api', now() FROM updated"
      + " ) SELECT " + Rows.CALL_COLUMNS + ", previous_status FROM updated";

  /**
   * Per server: queued (due or not), oldest wait of a due one, calls in progress after the queue. Calls not ended
   * ({@code ended_at IS NULL}) are what the V9 partial indexes cover; without it this read every finished call.
   */
  static final String STATS = "SELECT server,"
      + " count(*) FILTER (WHERE status = 'queued') AS queued,"
      + " COALESCE(extract(epoch FROM now() - min(not_before) FILTER (WHERE status = 'queued' AND not_before <= now())),"
      + " 0) AS oldest_wait,"
      + " count(*) FILTER (WHERE status <> 'queued') AS active"
      + " FROM calls WHERE ended_at IS NULL AND status IN ('queued', 'pending', 'dialing', 'ringing', 'answered')"
      + " GROUP BY server";

  /** Who owns each server right now (V6: the row names the last taker, the advisory lock says it still holds it). */
  private static final String OWNERS = "SELECT server, owner_node, owned FROM asterisk_server_status";

  private final Pool pool;
  private final BiFunction<Message<JsonObject>, Future<JsonObject>, Void> reply;
  private final BiConsumer<JsonObject, String> publish;

  /** {@code publish(call, previousStatus)} announces a moved call like every other transition. */
  DispatchStore(Pool pool, BiFunction<Message<JsonObject>, Future<JsonObject>, Void> reply,
      BiConsumer<JsonObject, String> publish) {
    this.pool = pool;
    this.reply = reply;
    this.publish = publish;
  }

  List<MessageConsumer<JsonObject>> register(EventBus bus) {
    return List.of(
        bus.localConsumer(DISPATCH_CLAIM, this::claim),
        bus.localConsumer(DISPATCH_CANCEL, this::cancel),
        bus.localConsumer(DISPATCH_MARK_SENT, msg -> reply.apply(msg, pool.preparedQuery(MARK_SENT)
            .execute(Tuple.of(UUID.fromString(msg.body().getString("call_id")), msg.body().getLong("epoch")))
            .map(rows -> new JsonObject().put("sent", rows.size() == 1)))),
        bus.localConsumer(DISPATCH_REQUEUE, msg -> reply.apply(msg, moved(REQUEUE, Tuple.of(msg.body().getString("server"),
            msg.body().getLong("older_than_ms", 0L)), "pending").map(n -> new JsonObject().put("requeued", n)))),
        bus.localConsumer(DISPATCH_EXPIRE, msg -> reply.apply(msg, moved(EXPIRE, Tuple.of(msg.body().getString("server")),
            "queued").map(n -> new JsonObject().put("expired", n)))),
        bus.localConsumer(DISPATCH_STATS, msg -> reply.apply(msg, stats(msg.body().getBoolean("owners", false)))));
  }

  private void claim(Message<JsonObject> msg) {
    String server = msg.body().getString("server");
    Future<JsonObject> claimed = pool.preparedQuery(CLAIM).execute(Tuple.of(server, msg.body().getInteger("limit", 1),
        msg.body().getLong("epoch")))
        .compose(rows -> {
          JsonArray items = new JsonArray();
          for (Row row : rows) {
            JsonObject call = Rows.call(row);
            publish.accept(call, "queued");
            items.add(call.copy().put("variables", row.getJsonObject("variables")));
          }
          if (!items.isEmpty()) {
            return Future.succeededFuture(new JsonObject().put("items", items));
          }
          // Nothing due: say when the next queued call is, so the dispatcher sleeps until then.
          return pool.preparedQuery(NEXT_DUE).execute(Tuple.of(server)).map(due -> {
            Long ms = due.iterator().next().getLong("next_due_ms");
            return new JsonObject().put("items", items).put("next_due_ms", ms);
          });
        });
    reply.apply(msg, claimed);
  }

  private void cancel(Message<JsonObject> msg) {
    reply.apply(msg, pool.preparedQuery(CANCEL).execute(Tuple.of(UUID.fromString(msg.body().getString("call_id"))))
        .map(rows -> {
          if (rows.size() == 0) {
            return new JsonObject().put("canceled", false);
          }
          Row row = rows.iterator().next();
          JsonObject call = Rows.call(row);
          publish.accept(call, row.getString("previous_status"));
          return new JsonObject().put("canceled", true).put("call", call);
        }));
  }

  private Future<Integer> moved(String sql, Tuple params, String previous) {
    return pool.preparedQuery(sql).execute(params).map(rows -> {
      rows.forEach(row -> publish.accept(Rows.call(row), previous));
      return rows.size();
    });
  }

  /** {@code {servers:[{server, queued, oldest_wait_seconds, active}], owners?:[{server, owner_node, owned}]}}. */
  private Future<JsonObject> stats(boolean withOwners) {
    Future<JsonObject> counts = pool.query(STATS).execute().map(rows -> {
      JsonArray servers = new JsonArray();
      rows.forEach(row -> servers.add(new JsonObject().put("server", row.getString("server"))
          .put("queued", row.getLong("queued"))
          .put("oldest_wait_seconds", row.getNumeric("oldest_wait").doubleValue())
          .put("active", row.getLong("active"))));
      return new JsonObject().put("servers", servers);
    });
    if (!withOwners) {
      return counts;
    }
    return counts.compose(result -> pool.query(OWNERS).execute().map(rows -> {
      JsonArray owners = new JsonArray();
      rows.forEach(row -> owners.add(new JsonObject().put("server", row.getString("server"))
          .put("owner_node", row.getString("owner_node")).put("owned", row.getBoolean("owned"))));
      return result.put("owners", owners);
    }));
  }
}
