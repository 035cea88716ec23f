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
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Calls and call_events access. Every state change is one guarded statement (one round trip). */
final class CallRepository {

  /**
   * Inserts a pending call. With an idempotency key, a second insert with the same (owner, key) inserts nothing
   * and the caller reads the first call instead: the unique constraint decides races, not application code.
   */
  private static final String INSERT = "INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
      + " timeout_ms, caller_id, variables, idempotency_key, request_hash, status_callback, status_callback_events,"
      + " server, status, retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds, queue_expires_at)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
      + " now() + make_interval(secs => $19))"
      + " ON CONFLICT (owner, idempotency_key) DO NOTHING RETURNING " + Rows.CALL_COLUMNS;

  /** Calls ahead of a newly queued one on its server (the new row is not in the statement's snapshot yet). */
  private static final String QUEUE_AHEAD = "SELECT count(*) AS ahead FROM calls WHERE server = $1"
      + " AND status = 'queued' AND claimed_at IS NULL AND ended_at IS NULL AND not_before <= now() AND id <> $2";

  /** A first attempt's later attempts, in order. */
  private static final String ATTEMPTS = "SELECT id, attempt_number, status, created_at, not_before, ended_at"
      + " FROM calls WHERE first_attempt_id = $1 ORDER BY attempt_number";

  private static final String BY_IDEMPOTENCY_KEY = "SELECT " + Rows.CALL_COLUMNS + ", request_hash FROM calls"
      + " WHERE owner = $1 AND idempotency_key = $2";

  private static final String BY_ID = "SELECT " + Rows.CALL_COLUMNS + " FROM calls WHERE id = $1";

  /**
   * {@link #TRANSITION_BATCH} for one transition: the simpler plan costs PostgreSQL less when a batch holds one.
   * Applies a transition only if the row is in one of the allowed predecessor states ($5), locking the row so
   * concurrent events serialise; records the timeline entry in the same statement. Timestamps come from the event.
   * {@code completed} also needs an answer: stored already, or carried by the transition ($11), so a final
   * transition applies even when the {@code answered} one before it was lost.
   * $1 id, $2 new status, $3 at, $4 terminal?, $5 allowed predecessors, $6 failure reason, $7 hangup cause,
   * $8 hangup cause text, $9 channel id, $10 source, $11 answered at (if known), $12 end time approximate?,
   * $13 the writer's ownership epoch of the call's server (null: no owner's write): V6's trigger refuses a stale one.
   */
  private static final String TRANSITION = "WITH previous AS ("
      + "   SELECT id, status, answered_at FROM calls WHERE id = $1 FOR UPDATE"
      + " ), updated AS ("
      + "   UPDATE calls c SET status = $2, updated_at = now(), owner_epoch = $13,"
      + "     channel_id = COALESCE($9, c.channel_id),"
      + "     dialed_at = CASE WHEN $2 = 'dialing' THEN COALESCE(c.dialed_at, $3) ELSE c.dialed_at END,"
      + "     ringing_at = CASE WHEN $2 = 'ringing' THEN COALESCE(c.ringing_at, $3) ELSE c.ringing_at END,"
      + "     answered_at = CASE WHEN $2 = 'answered' THEN COALESCE(c.answered_at, $3)"
      + "       ELSE COALESCE(c.answered_at, $11) END,"
      + "     ended_at = CASE WHEN $4 THEN $3 ELSE c.ended_at END,"
      + "     end_time_approximate = CASE WHEN $4 THEN $12 ELSE c.end_time_approximate END,"
      + "     duration_seconds = CASE WHEN $4 AND COALESCE(c.answered_at, $11) IS NOT NULL"
      + "       THEN GREATEST(0, floor(extract(epoch FROM ($3 - COALESCE(c.answered_at, $11)))))::int"
      + "       ELSE c.duration_seconds END,"
      + "     failure_reason = COALESCE($6, c.failure_reason),"
      + "     hangup_cause = COALESCE($7, c.hangup_cause),"
      + "     hangup_cause_text = COALESCE($8, c.hangup_cause_text)"
      + "   FROM previous p WHERE c.id = p.id AND p.status = ANY($5)"
      + "     AND ($2 <> 'completed' OR p.answered_at IS NOT NULL OR $11::timestamptz IS NOT NULL)"
      + "   RETURNING c.*, p.status AS previous_status"
      + " ), logged AS ("
      + "   INSERT INTO call_events (call_id, from_status, to_status, source, at)"
      + "   SELECT id, previous_status, status, $10, $3 FROM updated"
      + " ) SELECT * FROM updated";

  /**
   * Applies call transitions, many calls in one statement (one round trip, one commit). Each input row applies only
   * if its call is in one of the row's allowed predecessor states ({@code allowed}, comma-separated), the rows being
   * locked so concurrent writes serialise, and is recorded in the timeline by the same statement. Timestamps come
   * from the events. {@code completed} also needs an answer: stored already, or carried by the transition
   * ({@code answered_at}), so a final transition applies even when the {@code answered} one before it was lost.
   * Rows are locked in id order so two batches never deadlock. A call appears at most once per batch
   * ({@link TransitionBatcher} keeps a call's later transitions for the next statement); {@code n} maps each
   * applied row back to its input. {@code owner_epoch} is the writer's ownership epoch of the call's server (null:
   * no owner's write): V6's trigger refuses a stale one (CCF01), failing the statement; {@link TransitionBatcher}
   * then applies its rows one by one, so only the fenced ones fail.
   */
  private static final String TRANSITION_BATCH = "WITH input AS ("
      + "   SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bool[], $5::text[], $6::text[],"
      + "     $7::int[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::bool[], $13::bigint[])"
      + "     WITH ORDINALITY AS t(id, status, at, terminal, allowed, failure_reason, hangup_cause, hangup_cause_text,"
      + "       channel, source, answered_at, approximate, owner_epoch, n)"
      + " ), previous AS ("
      + "   SELECT id, status, answered_at FROM calls WHERE id IN (SELECT id FROM input) ORDER BY id FOR UPDATE"
      + " ), updated AS ("
      + "   UPDATE calls c SET status = i.status, updated_at = now(), owner_epoch = i.owner_epoch,"
      + "     channel_id = COALESCE(i.channel, c.channel_id),"
      + "     dialed_at = CASE WHEN i.status = 'dialing' THEN COALESCE(c.dialed_at, i.at) ELSE c.dialed_at END,"
      + "     ringing_at = CASE WHEN i.status = 'ringing' THEN COALESCE(c.ringing_at, i.at) ELSE c.ringing_at END,"
      + "     answered_at = CASE WHEN i.status = 'answered' THEN COALESCE(c.answered_at, i.at)"
      + "       ELSE COALESCE(c.answered_at, i.answered_at) END,"
      + "     ended_at = CASE WHEN i.terminal THEN i.at ELSE c.ended_at END,"
      + "     end_time_approximate = CASE WHEN i.terminal THEN i.approximate ELSE c.end_time_approximate END,"
      + "     duration_seconds = CASE WHEN i.terminal AND COALESCE(c.answered_at, i.answered_at) IS NOT NULL"
      + "       THEN GREATEST(0, floor(extract(epoch FROM (i.at - COALESCE(c.answered_at, i.answered_at)))))::int"
      + "       ELSE c.duration_seconds END,"
      + "     failure_reason = COALESCE(i.failure_reason, c.failure_reason),"
      + "     hangup_cause = COALESCE(i.hangup_cause, c.hangup_cause),"
      + "     hangup_cause_text = COALESCE(i.hangup_cause_text, c.hangup_cause_text)"
      + "   FROM input i JOIN previous p ON p.id = i.id"
      + "   WHERE c.id = i.id AND p.status = ANY (string_to_array(i.allowed, ','))"
      + "     AND (i.status <> 'completed' OR p.answered_at IS NOT NULL OR i.answered_at IS NOT NULL)"
      + "   RETURNING c.*, p.status AS previous_status, i.n AS input_index, i.source AS event_source,"
      + "     i.at AS event_at"
      + " ), logged AS ("
      + "   INSERT INTO call_events (call_id, from_status, to_status, source, at)"
      + "   SELECT id, previous_status, status, event_source, event_at FROM updated ORDER BY input_index"
      + " ) SELECT * FROM updated";

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

  /**
   * Calls in progress on Asterisk's side, what reconciliation settles; the list of states comes from
   * {@link CallState}; {@code ended_at IS NULL} (true of every call in progress) is what the partial index
   * calls_active_idx (V9) is filtered by, so the planner reads only it. Queued calls and calls just taken off the
   * queue whose dial has not been sent (or was sent a moment ago) belong to the dispatcher ({@code dev.contactcenter.dispatch}).
   */
  static final String ACTIVE = "SELECT " + Rows.CALL_COLUMNS + " FROM calls WHERE ended_at IS NULL AND status IN "
      + CallState.activeSqlList() + " AND NOT (status = 'pending' AND claimed_at IS NOT NULL"
      + " AND (dial_sent_at IS NULL OR dial_sent_at > now() - interval '10 seconds'))";
  /** One server's calls in progress: what its owner reconciles (calls_server_active_idx, V9). */
  static final String ACTIVE_ON = ACTIVE + " AND server = $1";

  /** Per server: has it a live owner (V6's view reads the lock itself), how many calls are in progress on it. */
  private static final String SERVERS_LOAD = "SELECT s.server, s.owned, s.owner_node,"
      + " (SELECT count(*) FROM calls c WHERE c.server = s.server AND c.ended_at IS NULL AND c.status IN "
      + CallState.activeSqlList()
      + ")::int AS active FROM asterisk_server_status s";

  private final Pool pool;

  CallRepository(Pool pool) {
    this.pool = pool;
  }

  /** Inserted call, or empty when the idempotency key was already used by this owner. */
  Future<Optional<JsonObject>> insert(JsonObject call) {
    Tuple params = Tuple.tuple()
        .addUUID(UUID.fromString(call.getString("call_id")))
        .addString(call.getString("owner"))
        .addString(call.getString("phone_number"))
        .addString(call.getString("context"))
        .addString(call.getString("extension"))
        .addInteger(call.getInteger("priority"))
        .addInteger(call.getInteger("timeout"))
        .addString(call.getString("caller_id"))
        .addValue(call.getJsonObject("variables", new JsonObject()))
        .addString(call.getString("idempotency_key"))
        .addString(call.getString("request_hash"))
        .addString(call.getString("status_callback"))
        .addArrayOfString(statusCallbackEvents(call))
        .addString(call.getString("server", dev.contactcenter.cluster.AsteriskServer.DEFAULT_NAME))
        .addString(call.getString("status", "pending"));
    JsonObject retry = call.getJsonObject("retry");
    params.addInteger(retry == null ? 1 : retry.getInteger("max_attempts"))
        .addArrayOfString(retry == null ? new String[0]
            : retry.getJsonArray("on").stream().map(String::valueOf).toArray(String[]::new))
        .addInteger(retry == null ? 0 : retry.getInteger("delay_seconds"))
        .addInteger(call.getInteger("max_queue_seconds"));
    return pool.preparedQuery(INSERT).execute(params).map(CallRepository::firstCall);
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

  /** The statuses the call's own callback gets; null stores "the final ones" (the default). */
  private static String[] statusCallbackEvents(JsonObject call) {
    JsonArray events = call.getJsonArray("status_callback_events");
    return events == null ? null : events.stream().map(String::valueOf).toArray(String[]::new);
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

  /** One call transition as {@link #transitions} takes it. */
  record Transition(UUID id, CallState to, OffsetDateTime at, String failureReason, Integer hangupCause,
      String hangupCauseText, String channelId, String source, OffsetDateTime answeredAt, boolean endTimeApproximate,
      Long ownerEpoch) {
  }

  /**
   * Applies the transitions (distinct calls) in one statement. Element i of the result is the updated call plus
   * {@code previous_status}, or null when the guard refused transition i.
   */
  Future<JsonObject[]> transitions(List<Transition> batch) {
    int size = batch.size();
    if (size == 1) {
      return single(batch.get(0));
    }
    UUID[] ids = new UUID[size];
    String[] statuses = new String[size];
    OffsetDateTime[] ats = new OffsetDateTime[size];
    Boolean[] terminal = new Boolean[size];
    String[] allowed = new String[size];
    String[] reasons = new String[size];
    Integer[] causes = new Integer[size];
    String[] causeTexts = new String[size];
    String[] channels = new String[size];
    String[] sources = new String[size];
    OffsetDateTime[] answered = new OffsetDateTime[size];
    Boolean[] approximate = new Boolean[size];
    Long[] epochs = new Long[size];
    for (int i = 0; i < size; i++) {
      Transition t = batch.get(i);
      ids[i] = t.id();
      statuses[i] = t.to().value();
      ats[i] = t.at();
      terminal[i] = t.to().isTerminal();
      allowed[i] = ALLOWED.get(t.to());
      reasons[i] = t.failureReason();
      causes[i] = t.hangupCause();
      causeTexts[i] = t.hangupCauseText();
      channels[i] = t.channelId();
      sources[i] = t.source();
      answered[i] = t.answeredAt();
      approximate[i] = t.endTimeApproximate();
      epochs[i] = t.ownerEpoch();
    }
    Tuple params = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(statuses).addArrayOfOffsetDateTime(ats)
        .addArrayOfBoolean(terminal).addArrayOfString(allowed).addArrayOfString(reasons).addArrayOfInteger(causes)
        .addArrayOfString(causeTexts).addArrayOfString(channels).addArrayOfString(sources)
        .addArrayOfOffsetDateTime(answered).addArrayOfBoolean(approximate).addArrayOfLong(epochs);
    return pool.preparedQuery(TRANSITION_BATCH).execute(params).map(rows -> {
      JsonObject[] applied = new JsonObject[size];
      for (Row row : rows) {
        applied[row.getLong("input_index").intValue() - 1] =
            Rows.call(row).put("previous_status", row.getString("previous_status"));
      }
      return applied;
    });
  }

  private Future<JsonObject[]> single(Transition t) {
    Tuple params = Tuple.tuple().addUUID(t.id()).addString(t.to().value()).addOffsetDateTime(t.at())
        .addBoolean(t.to().isTerminal()).addArrayOfString(PREDECESSORS.get(t.to())).addString(t.failureReason())
        .addInteger(t.hangupCause()).addString(t.hangupCauseText()).addString(t.channelId()).addString(t.source())
        .addOffsetDateTime(t.answeredAt()).addBoolean(t.endTimeApproximate()).addLong(t.ownerEpoch());
    return pool.preparedQuery(TRANSITION).execute(params).map(rows -> {
      JsonObject[] applied = new JsonObject[1];
      for (Row row : rows) {
        applied[0] = Rows.call(row).put("previous_status", row.getString("previous_status"));
      }
      return applied;
    });
  }

  /** Each state's allowed predecessors as the batch statement takes them, computed once. */
  private static final Map<CallState, String> ALLOWED = new EnumMap<>(CallState.class);
  private static final Map<CallState, String[]> PREDECESSORS = new EnumMap<>(CallState.class);

  static {
    for (CallState state : CallState.values()) {
      PREDECESSORS.put(state, state.allowedPredecessorValues());
      ALLOWED.put(state, String.join(",", state.allowedPredecessorValues()));
    }
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
