package dev.contactcenter.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/**
 * Webhook endpoints, signing secrets and the delivery outbox. Deliveries are inserted by the database trigger of
 * migration V4 (with the call event, in the same statement); this class claims and records them
 * ({@link WebhookLogRepository} lists and retries them).
 * A {@code null} owner in a visibility filter means "an admin: every owner".
 */
final class WebhookRepository {

  private static final String ENDPOINT_COLUMNS = "id, owner, url, events, enabled, description, disabled_reason,"
      + " previous_expires_at, created_at, updated_at";

  private static final String INSERT_ENDPOINT = "INSERT INTO webhook_endpoints"
      + " (id, owner, url, events, enabled, description, secret) VALUES ($1, $2, $3, $4, $5, $6, $7)"
      + " RETURNING " + ENDPOINT_COLUMNS;
  private static final String LIST_ENDPOINTS = "SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoints"
      + " WHERE ($1::text IS NULL OR owner = $1) ORDER BY created_at, id";
  private static final String GET_ENDPOINT = "SELECT " + ENDPOINT_COLUMNS + " FROM webhook_endpoints"
      + " WHERE id = $1 AND ($2::text IS NULL OR owner = $2)";
  /** Changes the fields given (null: unchanged); enabling again clears the reason it was disabled. */
  private static final String UPDATE_ENDPOINT = "UPDATE webhook_endpoints SET url = COALESCE($3, url),"
      + " events = COALESCE($4, events), enabled = COALESCE($5, enabled),"
      + " description = CASE WHEN $6 THEN $7 ELSE description END,"
      + " disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END, updated_at = now()"
      + " WHERE id = $1 AND ($2::text IS NULL OR owner = $2) RETURNING " + ENDPOINT_COLUMNS;
  private static final String DELETE_ENDPOINT = "DELETE FROM webhook_endpoints WHERE id = $1"
      + " AND ($2::text IS NULL OR owner = $2) RETURNING id";
  /** The old secret keeps signing until the overlap ends ($4 seconds). */
  private static final String ROTATE_ENDPOINT = "UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,"
      + " previous_expires_at = now() + make_interval(secs => $4::int), updated_at = now()"
      + " WHERE id = $1 AND ($2::text IS NULL OR owner = $2) RETURNING previous_expires_at";

  private static final String ENSURE_USER_SECRET = "WITH inserted AS ("
      + " INSERT INTO webhook_user_secrets (owner, secret) VALUES ($1, $2) ON CONFLICT (owner) DO NOTHING"
      + " RETURNING secret, previous_expires_at)"
      + " SELECT secret, previous_expires_at FROM inserted"
      + " UNION ALL SELECT secret, previous_expires_at FROM webhook_user_secrets WHERE owner = $1";
  private static final String ROTATE_USER_SECRET = "INSERT INTO webhook_user_secrets (owner, secret) VALUES ($1, $2)"
      + " ON CONFLICT (owner) DO UPDATE SET previous_secret = webhook_user_secrets.secret, secret = EXCLUDED.secret,"
      + " previous_expires_at = now() + make_interval(secs => $3::int)"
      + " RETURNING secret, previous_expires_at";

  /**
   * A delivery whose subscription was turned off by a 410 while it was being written: the trigger that wrote it
   * and the transaction that disabled the subscription ran side by side, so the cancel of the latter missed it.
   */
  private static final String TURNED_OFF = "(EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id"
      + "   AND NOT e.enabled)"
      + " OR d.stream = 'callback' AND EXISTS (SELECT 1 FROM webhook_deliveries g WHERE g.call_id = d.call_id"
      + "   AND g.stream = 'callback' AND g.last_status_code = 410))";

  /**
   * Claims up to $1 due deliveries, each the oldest pending one of its (stream, call), so a call's events reach a
   * receiver in order. SKIP LOCKED lets several nodes claim side by side; pushing next_attempt_at by the lease ($2
   * ms) keeps a delivery in flight reserved, and hands it to another node (or this one after a restart) if its
   * claimer died. Rotated-out secrets still sign until their overlap ends.
   */
  private static final String CLAIM = "WITH turned_off AS ("
      + "   UPDATE webhook_deliveries d SET state = 'canceled', finished_at = now(),"
      + "     last_error = 'subscription disabled: the receiver answered 410 Gone'"
      + "   WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND " + TURNED_OFF
      + " ), due AS ("
      + "   SELECT d.id FROM webhook_deliveries d"
      + "   WHERE d.state = 'pending' AND d.next_attempt_at <= now() AND NOT " + TURNED_OFF
      + "     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.stream = d.stream AND p.call_id = d.call_id"
      + "       AND p.state = 'pending' AND p.id < d.id)"
      + "   ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR UPDATE SKIP LOCKED"
      + " ), claimed AS ("
      + "   UPDATE webhook_deliveries d SET attempts = d.attempts + 1,"
      + "     next_attempt_at = now() + make_interval(secs => $2::bigint / 1000.0)"
      + "   FROM due WHERE d.id = due.id"
      + "   RETURNING d.id, d.webhook_id, d.endpoint_id, d.owner, d.url, d.payload, d.attempts, d.age_from"
      + " ) SELECT c.id, c.webhook_id, c.url, c.payload::text AS body, c.attempts, c.age_from,"
      + "   COALESCE(e.secret, s.secret) AS secret,"
      + "   CASE WHEN COALESCE(e.previous_expires_at, s.previous_expires_at) > now()"
      + "     THEN COALESCE(e.previous_secret, s.previous_secret) END AS previous_secret"
      + " FROM claimed c LEFT JOIN webhook_endpoints e ON e.id = c.endpoint_id"
      + " LEFT JOIN webhook_user_secrets s ON c.endpoint_id IS NULL AND s.owner = c.owner ORDER BY c.id";

  /**
   * One attempt and its consequence in one statement: $5 outcome delivered (state delivered), retry (stays pending
   * until $6) or dead. Guarded on pending, so a delivery finished meanwhile (retried by hand, canceled) is kept.
   */
  private static final String RECORD = "WITH attempt AS ("
      + "   INSERT INTO webhook_attempts (delivery_id, status_code, latency_ms, error) VALUES ($1, $2, $3, $4)"
      + " ) UPDATE webhook_deliveries SET"
      + "   state = CASE $5::text WHEN 'delivered' THEN 'delivered' WHEN 'retry' THEN 'pending' ELSE 'dead' END,"
      + "   finished_at = CASE WHEN $5::text = 'retry' THEN NULL ELSE now() END,"
      + "   next_attempt_at = COALESCE($6::timestamptz, next_attempt_at),"
      + "   last_status_code = $2, last_error = $4"
      + " WHERE id = $1 AND state = 'pending' RETURNING endpoint_id, call_id";
  private static final String DISABLE_ENDPOINT = "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2,"
      + " updated_at = now() WHERE id = $1";
  private static final String CANCEL_ENDPOINT = "UPDATE webhook_deliveries SET state = 'canceled', finished_at = now(),"
      + " last_error = $2 WHERE endpoint_id = $1 AND state = 'pending'";
  private static final String CANCEL_CALLBACKS = "UPDATE webhook_deliveries SET state = 'canceled', finished_at = now(),"
      + " last_error = $2 WHERE stream = 'callback' AND call_id = $1 AND state = 'pending'";

  private static final String STATS = "SELECT count(*) AS pending,"
      + " COALESCE(extract(epoch FROM now() - min(created_at)), 0) AS oldest_seconds"
      + " FROM webhook_deliveries WHERE state = 'pending'";

  private final Pool pool;

  WebhookRepository(Pool pool) {
    this.pool = pool;
  }

  Future<JsonObject> insertEndpoint(UUID id, String owner, String url, String[] events, boolean enabled,
      String description, String secret) {
    return pool.preparedQuery(INSERT_ENDPOINT)
        .execute(Tuple.of(id, owner, url, events, enabled, description, secret))
        .map(rows -> endpoint(rows.iterator().next()));
  }

  Future<JsonArray> listEndpoints(String ownerOrNull) {
    return pool.preparedQuery(LIST_ENDPOINTS).execute(Tuple.tuple().addString(ownerOrNull)).map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(endpoint(row)));
      return items;
    });
  }

  Future<Optional<JsonObject>> endpoint(UUID id, String ownerOrNull) {
    return pool.preparedQuery(GET_ENDPOINT).execute(Tuple.of(id, ownerOrNull))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(endpoint(rows.iterator().next())));
  }

  Future<Optional<JsonObject>> updateEndpoint(UUID id, String ownerOrNull, String url, String[] events,
      Boolean enabled, boolean setDescription, String description) {
    Tuple params = Tuple.tuple().addUUID(id).addString(ownerOrNull).addString(url).addArrayOfString(events)
        .addBoolean(enabled).addBoolean(setDescription).addString(description);
    return pool.preparedQuery(UPDATE_ENDPOINT).execute(params)
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(endpoint(rows.iterator().next())));
  }

  Future<Boolean> deleteEndpoint(UUID id, String ownerOrNull) {
    return pool.preparedQuery(DELETE_ENDPOINT).execute(Tuple.of(id, ownerOrNull)).map(rows -> rows.size() > 0);
  }

  /** The old secret's end of validity, or empty when there is no such endpoint for this owner. */
  Future<Optional<OffsetDateTime>> rotateEndpoint(UUID id, String ownerOrNull, String secret, int overlapSeconds) {
    return pool.preparedQuery(ROTATE_ENDPOINT).execute(Tuple.of(id, ownerOrNull, secret, overlapSeconds))
        .map(rows -> rows.size() == 0 ? Optional.empty()
            : Optional.of(rows.iterator().next().getOffsetDateTime("previous_expires_at")));
  }

  /** The user's callback signing secret, created with {@code candidate} on first use. */
  Future<JsonObject> ensureUserSecret(String owner, String candidate) {
    return pool.preparedQuery(ENSURE_USER_SECRET).execute(Tuple.of(owner, candidate))
        .map(rows -> secret(rows.iterator().next()));
  }

  Future<JsonObject> rotateUserSecret(String owner, String secret, int overlapSeconds) {
    return pool.preparedQuery(ROTATE_USER_SECRET).execute(Tuple.of(owner, secret, overlapSeconds))
        .map(rows -> secret(rows.iterator().next()));
  }

  Future<JsonArray> claim(int limit, long leaseMs) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(limit, leaseMs)).map(rows -> {
      JsonArray items = new JsonArray();
      for (Row row : rows) {
        JsonArray secrets = new JsonArray();
        if (row.getString("secret") != null) {
          secrets.add(row.getString("secret"));
        }
        if (row.getString("previous_secret") != null) {
          secrets.add(row.getString("previous_secret"));
        }
        items.add(new JsonObject()
            .put("id", row.getLong("id"))
            .put("webhook_id", row.getString("webhook_id"))
            .put("url", row.getString("url"))
            .put("body", row.getString("body"))
            .put("attempts", row.getInteger("attempts"))
            .put("age_from", Rows.time(row.getOffsetDateTime("age_from")))
            .put("secrets", secrets));
      }
      return items;
    });
  }

  /**
   * Records one attempt and its consequence in one transaction. {@code outcome}: delivered, retry (at
   * {@code nextAttempt}), dead, or gone (dead, and the endpoint or the call's callback is disabled: a 410).
   */
  Future<Void> record(long deliveryId, String outcome, Integer statusCode, int latencyMs, String error,
      OffsetDateTime nextAttempt) {
    boolean gone = outcome.equals("gone");
    Tuple params = Tuple.tuple().addLong(deliveryId).addInteger(statusCode).addInteger(latencyMs).addString(error)
        .addString(gone ? "dead" : outcome).addOffsetDateTime(nextAttempt);
    if (!gone) {
      return pool.preparedQuery(RECORD).execute(params).mapEmpty();
    }
    return pool.withTransaction(tx -> tx.preparedQuery(RECORD).execute(params)
        .compose(rows -> disableAfterGone(tx, rows)));
  }

  private static Future<Void> disableAfterGone(SqlClient tx, RowSet<Row> rows) {
    if (rows.size() == 0) {
      return Future.succeededFuture();
    }
    Row row = rows.iterator().next();
    UUID endpoint = row.getUUID("endpoint_id");
    String reason = "the receiver answered 410 Gone";
    if (endpoint != null) {
      return tx.preparedQuery(DISABLE_ENDPOINT).execute(Tuple.of(endpoint, reason))
          .compose(v -> tx.preparedQuery(CANCEL_ENDPOINT).execute(Tuple.of(endpoint, "endpoint disabled: " + reason)))
          .mapEmpty();
    }
    return tx.preparedQuery(CANCEL_CALLBACKS).execute(Tuple.of(row.getUUID("call_id"), "callback disabled: " + reason))
        .mapEmpty();
  }

  Future<JsonObject> stats() {
    return pool.query(STATS).execute().map(rows -> {
      Row row = rows.iterator().next();
      return new JsonObject().put("pending", row.getLong("pending"))
          .put("oldest_pending_seconds", row.getNumeric("oldest_seconds").doubleValue());
    });
  }

  private static JsonObject endpoint(Row row) {
    JsonArray events = new JsonArray();
    for (String event : row.getArrayOfStrings("events")) {
      events.add(event);
    }
    return new JsonObject()
        .put("id", row.getUUID("id").toString())
        .put("owner", row.getString("owner"))
        .put("url", row.getString("url"))
        .put("events", events)
        .put("enabled", row.getBoolean("enabled"))
        .put("description", row.getString("description"))
        .put("disabled_reason", row.getString("disabled_reason"))
        .put("previous_secret_expires_at", Rows.time(row.getOffsetDateTime("previous_expires_at")))
        .put("created_at", Rows.time(row.getOffsetDateTime("created_at")))
        .put("updated_at", Rows.time(row.getOffsetDateTime("updated_at")));
  }

  private static JsonObject secret(Row row) {
    return new JsonObject().put("secret", row.getString("secret"))
        .put("previous_secret_expires_at", Rows.time(row.getOffsetDateTime("previous_expires_at")));
  }
}
