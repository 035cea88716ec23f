package dev.contactcenter.persistence;

import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/** Calls and call_events access; state changes are in {@link TransitionStatements}. */
final class CallRepository {

  /** Calls ahead of a newly queued one on its server (the new row is not in the statement's snapshot yet). */
  private static final String QUEUE_AHEAD = "SELECT count(*) AS ahead FROM calls WHERE server = $1"
      + " AND status = 'queued' AND claimed_at IS NULL AND ended_at IS NULL AND not_before <= now() AND id <> $2";

  /** A first attempt's later attempts, in order. */
  private static final String ATTEMPTS = "SELECT id, attempt_number, status, created_at, not_before, ended_at"
      + " FROM calls WHERE first_attempt_id = $1 ORDER BY attempt_number";

  private static final String BY_IDEMPOTENCY_KEY = "SELECT " + Rows.CALL_COLUMNS + ", request_hash FROM calls"
      + " WHERE owner = $1 AND idempotency_key = $2";

  private static final String BY_ID = "SELECT " + Rows.CALL_COLUMNS + " FROM calls WHERE id = $1";

  private static final String LIST_FILTERS = " AND ($2::text IS NULL OR status = $2)"
      + " AND ($3::text IS NULL OR phone_number = $3)"
      + " AND ($4::timestamptz IS NULL OR created_at >= $4)"
      + " AND ($5::timestamptz IS NULL OR created_at < $5)"
      + " AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7::uuid))"
      + " AND ($9::text IS NULL OR server = $9)"
      + " ORDER BY created_at DESC, id DESC LIMIT $8";
  private static final String LIST_OWNED = "SELECT " + Rows.CALL_COLUMNS + " FROM calls WHERE owner = $1"
      + LIST_FILTERS;
  /** Admin listing: every owner's calls ($1 is null). */
  private static final String LIST_ALL = "SELECT " + Rows.CALL_COLUMNS + " FROM calls WHERE ($1::text IS NULL OR owner = $1)"
      + LIST_FILTERS;

  private static final String EVENTS = "SELECT c.owner, e.from_status, e.to_status, e.source, e.at"
      + " FROM calls c LEFT JOIN call_events e ON e.call_id = c.id WHERE c.id = $1 ORDER BY e.id";

  /** How long after its mark a sent call may still have its originate on its way: left out of {@link #ACTIVE}. */
  static final String SENT_WINDOW = "interval '10 seconds'";

  /**
   * Calls in progress on Asterisk's side, what reconciliation settles; the list of states comes from
   * {@link CallState}; {@code ended_at IS NULL} (true of every call in progress) is what the partial index
   * calls_active_idx (V9) is filtered by, so the planner reads only it. Queued calls and calls just taken off the
   * queue whose dial has not been sent (or was sent a moment ago) belong to the dispatcher ({@code dev.contactcenter.dispatch}).
   */
  static final String ACTIVE = "SELECT " + Rows.CALL_COLUMNS + " FROM calls WHERE ended_at IS NULL AND status IN "
      + CallState.activeSqlList() + " AND NOT (status = 'pending' AND claimed_at IS NOT NULL"
      + " AND (dial_sent_at IS NULL OR dial_sent_at > now() - " + SENT_WINDOW + "))";
  /**
   * In how many ms the last call marked sent by an earlier owner of server $1 (epoch below $2) leaves the window and
   * joins {@link #ACTIVE} (null: none): the new owner reconciles then, not at its next periodic pass.
   */
  static final String MARKED_EARLIER = "SELECT ceil(extract(epoch FROM max(dial_sent_at) + " + SENT_WINDOW
      + " - now()) * 1000)::bigint AS due_in_ms FROM calls WHERE ended_at IS NULL AND status = 'pending'"
      + " AND claimed_at IS NOT NULL AND dial_sent_at > now() - " + SENT_WINDOW
      + " AND server = $1 AND owner_epoch < $2";
  /** One server's calls in progress: what its owner reconciles (calls_server_active_idx, V9). */
  static final String ACTIVE_ON = ACTIVE + " AND server = $1";
  /** A page of one server's calls in progress, in (created_at, id) order (calls_active_idx), first or after one. */
  static final String ACTIVE_FIRST_PAGE = ACTIVE + " AND server = $1 ORDER BY created_at, id LIMIT $2";
  static final String ACTIVE_PAGE = ACTIVE + " AND server = $1 AND created_at >= $2 AND (created_at, id) > ($2, $3)"
      + " ORDER BY created_at, id LIMIT $4";

  /** Per server: has it a live owner (V6's view reads the lock itself), how many calls are in progress on it. */
  private static final String SERVERS_LOAD = "SELECT s.server, s.owned, s.owner_node,"
      + " (SELECT count(*) FROM calls c WHERE c.server = s.server AND c.ended_at IS NULL AND c.status IN "
      + CallState.activeSqlList()
      + ")::int AS active FROM asterisk_server_status s";

  private final Pool pool;

  CallRepository(Pool pool) {
    this.pool = pool;
  }

  /** How many due queued calls of the server are ahead of {@code id}. */
  Future<Long> queueAhead(String server, UUID id) {
    return pool.preparedQuery(QUEUE_AHEAD).execute(Tuple.of(server, id))
        .map(rows -> rows.iterator().next().getLong("ahead"));
  }

  /** The later attempts of a first attempt (empty for a call never retried). */
  Future<JsonArray> attempts(UUID firstAttempt) {
    return pool.preparedQuery(ATTEMPTS).execute(Tuple.of(firstAttempt)).map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(new JsonObject()
          .put("call_id", row.getUUID("id").toString())
          .put("attempt_number", row.getInteger("attempt_number"))
          .put("status", row.getString("status"))
          .put("created_at", Rows.time(row.getOffsetDateTime("created_at")))
          .put("not_before", Rows.time(row.getOffsetDateTime("not_before")))
          .put("ended_at", Rows.time(row.getOffsetDateTime("ended_at")))));
      return items;
    });
  }

  /** The call created earlier with this key, with its request hash. */
  Future<Optional<JsonObject>> findByIdempotencyKey(String owner, String key) {
    return pool.preparedQuery(BY_IDEMPOTENCY_KEY).execute(Tuple.of(owner, key)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(Rows.call(row).put("request_hash", row.getString("request_hash")));
    });
  }

  Future<Optional<JsonObject>> find(UUID id) {
    return pool.preparedQuery(BY_ID).execute(Tuple.of(id)).map(CallRepository::firstCall);
  }


  Future<JsonArray> list(String ownerOrNullForAll, String status, String phoneNumber, OffsetDateTime createdAfter,
      OffsetDateTime createdBefore, OffsetDateTime cursorCreatedAt, UUID cursorId, int limit, String server) {
    Tuple params = Tuple.tuple().addString(ownerOrNullForAll).addString(status).addString(phoneNumber)
        .addOffsetDateTime(createdAfter).addOffsetDateTime(createdBefore).addOffsetDateTime(cursorCreatedAt)
        .addUUID(cursorId).addInteger(limit).addString(server);
    String sql = ownerOrNullForAll == null ? LIST_ALL : LIST_OWNED;
    return pool.preparedQuery(sql).execute(params).map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(Rows.call(row)));
      return items;
    });
  }

  /** The owner and the timeline of a call, or empty if there is no such call. */
  Future<Optional<JsonObject>> events(UUID id) {
    return pool.preparedQuery(EVENTS).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      JsonArray events = new JsonArray();
      String owner = null;
      for (Row row : rows) {
        owner = row.getString("owner");
        if (row.getString("to_status") != null) {
          events.add(new JsonObject()
              .put("from_status", row.getString("from_status"))
              .put("to_status", row.getString("to_status"))
              .put("source", row.getString("source"))
              .put("at", Rows.time(row.getOffsetDateTime("at"))));
        }
      }
      return Optional.of(new JsonObject().put("call_id", id.toString()).put("owner", owner).put("events", events));
    });
  }

  /** Calls in progress, all of them or one server's ({@code server} non-null). */
  Future<JsonArray> active(String server) {
    Future<RowSet<Row>> query = server == null ? pool.preparedQuery(ACTIVE).execute()
        : pool.preparedQuery(ACTIVE_ON).execute(Tuple.of(server));
    return query.map(rows -> {
      JsonArray calls = new JsonArray();
      rows.forEach(row -> calls.add(Rows.call(row)));
      return calls;
    });
  }

  /** One page of {@link #ACTIVE_PAGE}; {@code afterCreatedAt} null for the first. */
  Future<JsonArray> activePage(String server, String afterCreatedAt, String afterId, int limit) {
    Future<RowSet<Row>> query = afterCreatedAt == null
        ? pool.preparedQuery(ACTIVE_FIRST_PAGE).execute(Tuple.of(server, limit))
        : pool.preparedQuery(ACTIVE_PAGE).execute(Tuple.of(server, OffsetDateTime.parse(afterCreatedAt),
            UUID.fromString(afterId), limit));
    return query.map(rows -> {
      JsonArray calls = new JsonArray();
      rows.forEach(row -> calls.add(Rows.call(row)));
      return calls;
    });
  }

  /** {@link #MARKED_EARLIER}: ms until the last of them is due, null when there is none. */
  Future<Long> markedEarlier(String server, long epoch) {
    return pool.preparedQuery(MARKED_EARLIER).execute(Tuple.of(server, epoch))
        .map(rows -> rows.iterator().next().getLong("due_in_ms"));
  }

  Future<JsonArray> serversLoad() {
    return pool.preparedQuery(SERVERS_LOAD).execute().map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(new JsonObject().put("server", row.getString("server"))
          .put("owned", row.getBoolean("owned")).put("owner_node", row.getString("owner_node"))
          .put("active", row.getInteger("active"))));
      return items;
    });
  }

  private static Optional<JsonObject> firstCall(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(Rows.call(rows.iterator().next()));
  }
}
