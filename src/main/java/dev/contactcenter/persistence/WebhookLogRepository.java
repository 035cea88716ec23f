package dev.contactcenter.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.UUID;

/** The webhook delivery log: a subscription's or a call's deliveries with every attempt, and manual retries. */
final class WebhookLogRepository {

  private static final String DELIVERY_COLUMNS = "d.id, d.webhook_id, d.endpoint_id, d.call_id, d.url,"
      + " d.payload->>'type' AS event_type, d.payload->'data'->>'status' AS status, d.state, d.attempts,"
      + " d.next_attempt_at, d.created_at, d.finished_at, d.last_status_code, d.last_error,"
      + " (SELECT COALESCE(json_agg(json_build_object("
      + "   'at', to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
      + "   'status_code', a.status_code, 'latency_ms', a.latency_ms, 'error', a.error) ORDER BY a.id), '[]'::json)"
      + "  FROM webhook_attempts a WHERE a.delivery_id = d.id) AS attempt_log";
  private static final String ENDPOINT_DELIVERIES = "SELECT " + DELIVERY_COLUMNS + " FROM webhook_deliveries d"
      + " WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT $2";
  private static final String CALL_OWNER = "SELECT owner FROM calls WHERE id = $1";
  private static final String CALL_DELIVERIES = "SELECT " + DELIVERY_COLUMNS + " FROM webhook_deliveries d"
      + " WHERE d.call_id = $1 ORDER BY d.id";
  /** A finished delivery goes back to pending with its webhook-id and a fresh maximum age. */
  private static final String RETRY = "UPDATE webhook_deliveries d SET state = 'pending', next_attempt_at = now(),"
      + " age_from = now(), finished_at = NULL FROM webhook_endpoints e"
      + " WHERE d.id = $1 AND d.endpoint_id = $2 AND e.id = d.endpoint_id AND ($3::text IS NULL OR e.owner = $3)"
      + " AND d.state <> 'pending' RETURNING d.id";
  private static final String DELIVERY_STATE = "SELECT d.state FROM webhook_deliveries d"
      + " JOIN webhook_endpoints e ON e.id = d.endpoint_id"
      + " WHERE d.id = $1 AND d.endpoint_id = $2 AND ($3::text IS NULL OR e.owner = $3)";

  private final Pool pool;

  WebhookLogRepository(Pool pool) {
    this.pool = pool;
  }

  Future<JsonArray> endpointDeliveries(UUID endpointId, int limit) {
    return pool.preparedQuery(ENDPOINT_DELIVERIES).execute(Tuple.of(endpointId, limit))
        .map(WebhookLogRepository::deliveries);
  }

  /** The call's owner and its deliveries, or empty when there is no such call. */
  Future<Optional<JsonObject>> callDeliveries(UUID callId) {
    return pool.preparedQuery(CALL_OWNER).execute(Tuple.of(callId)).compose(owners -> {
      if (owners.size() == 0) {
        return Future.succeededFuture(Optional.empty());
      }
      String owner = owners.iterator().next().getString("owner");
      return pool.preparedQuery(CALL_DELIVERIES).execute(Tuple.of(callId)).map(rows ->
          Optional.of(new JsonObject().put("owner", owner).put("items", deliveries(rows))));
    });
  }

  /** "retried", "pending" (nothing to do: not finished yet) or "missing". */
  Future<String> retry(long deliveryId, UUID endpointId, String ownerOrNull) {
    Tuple params = Tuple.of(deliveryId, endpointId, ownerOrNull);
    return pool.preparedQuery(RETRY).execute(params).compose(rows -> rows.size() > 0
        ? Future.succeededFuture("retried")
        : pool.preparedQuery(DELIVERY_STATE).execute(params).map(found -> found.size() == 0 ? "missing" : "pending"));
  }

  private static JsonArray deliveries(RowSet<Row> rows) {
    JsonArray items = new JsonArray();
    for (Row row : rows) {
      UUID endpoint = row.getUUID("endpoint_id");
      Object log = row.getValue("attempt_log");
      JsonArray attempts = log instanceof JsonArray a ? a : new JsonArray(String.valueOf(log));
      String state = row.getString("state");
      items.add(new JsonObject()
          .put("id", row.getLong("id"))
          .put("webhook_id", row.getString("webhook_id"))
          .put("endpoint_id", endpoint == null ? null : endpoint.toString())
          .put("call_id", row.getUUID("call_id").toString())
          .put("url", row.getString("url"))
          .put("event_type", row.getString("event_type"))
          .put("status", row.getString("status"))
          .put("state", state)
          .put("attempts", row.getInteger("attempts"))
          .put("next_attempt_at", "pending".equals(state) ? Rows.time(row.getOffsetDateTime("next_attempt_at")) : null)
          .put("created_at", Rows.time(row.getOffsetDateTime("created_at")))
          .put("finished_at", Rows.time(row.getOffsetDateTime("finished_at")))
          .put("last_status_code", row.getInteger("last_status_code"))
          .put("last_error", row.getString("last_error"))
          .put("attempt_log", attempts));
    }
    return items;
  }
}
