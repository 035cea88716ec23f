package dev.contactcenter.persistence;

import dev.contactcenter.cluster.AsteriskServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;

/** Call creation: each call admitted against its owner's limits and inserted, many calls per statement. */
final class CreationStatements {

  /**
   * {@link #INSERT_BATCH} for one call: the simpler plan (no arrays to unnest, V11's one-owner admission) costs
   * PostgreSQL about a quarter less per call. calls_admit (V11, V15) checks the owner's limits ($20, $21: the
   * configured defaults of calls in progress and calls per day) against the owner's counters, holding their lock
   * until the commit. With an idempotency key, a second insert with the same (owner, key) inserts nothing and the
   * caller reads the first call instead: the unique index decides races, not application code. One row always:
   * refused_limit set (nothing inserted), or id set (inserted), or neither (the key was used already).
   */
  private static final String INSERT = "WITH admission AS (SELECT * FROM calls_admit($2, $20, $21)), inserted AS ("
      + " INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
      + " timeout_ms, caller_id, variables, idempotency_key, request_hash, status_callback, status_callback_events,"
      + " server, status, retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds, queue_expires_at)"
      + " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::int,"
      + " now() + make_interval(secs => $19::int) FROM admission WHERE refused_limit IS NULL"
      + " ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING "
      + Rows.CALL_COLUMNS
      + ") SELECT i.*, a.refused_limit, a.refused_value, a.retry_after FROM admission a LEFT JOIN inserted i ON true";

  /**
   * Admits and inserts many calls (element i of each array: call i, in arrival order) in one statement: one round
   * trip, one commit. calls_admit_batch (V15) admits each owner's calls in order while they fit its limits,
   * folding the owner's usage once; refused calls are not inserted. The list columns (status_callback_events,
   * retry_on) travel comma-joined, as arrays of arrays cannot. A batch holds at most one call per (owner,
   * idempotency key) ({@link CreationBatcher}), so ON CONFLICT decides against committed rows only. One row per
   * input call, {@code n} its position: refused_limit set, or id set (inserted), or neither (key used already).
   */
  private static final String INSERT_BATCH = "WITH input AS ("
      + " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[],"
      + " $8::text[], $9::jsonb[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],"
      + " $16::int[], $17::text[], $18::int[], $19::int[])"
      + " WITH ORDINALITY AS t(id, owner, phone_number, context, extension, priority, timeout_ms, caller_id,"
      + " variables, idempotency_key, request_hash, status_callback, status_callback_events, server, status,"
      + " retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds, n)"
      + "), admission AS (SELECT * FROM calls_admit_batch($2::text[], $15::text[], $20::int[], $21::int[])"
      + "), inserted AS ("
      + " INSERT INTO calls (id, owner, phone_number, context, extension, priority,"
      + " timeout_ms, caller_id, variables, idempotency_key, request_hash, status_callback, status_callback_events,"
      + " server, status, retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds, queue_expires_at)"
      + " SELECT i.id, i.owner, i.phone_number, i.context, i.extension, i.priority, i.timeout_ms, i.caller_id,"
      + " i.variables, i.idempotency_key, i.request_hash, i.status_callback,"
      + " string_to_array(i.status_callback_events, ','), i.server, i.status, i.retry_max_attempts,"
      + " string_to_array(i.retry_on, ','), i.retry_delay_seconds, i.max_queue_seconds,"
      + " now() + make_interval(secs => i.max_queue_seconds)"
      + " FROM input i JOIN admission a ON a.n = i.n WHERE a.refused_limit IS NULL ORDER BY i.n"
      + " ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING "
      + Rows.CALL_COLUMNS
      + ") SELECT c.*, a.n AS input_index, a.refused_limit, a.refused_value, a.retry_after"
      + " FROM input i JOIN admission a ON a.n = i.n LEFT JOIN inserted c ON c.id = i.id";

  /** What became of one call: inserted ({@code call}), refused ({@code refused}), or neither (key used already). */
  record Outcome(JsonObject call, LimitReached refused) {
  }

  private final Pool pool;

  CreationStatements(Pool pool) {
    this.pool = pool;
  }

  /** Admits and inserts the calls (distinct (owner, idempotency key) pairs); element i is call i's outcome. */
  Future<Outcome[]> insert(List<JsonObject> calls) {
    int size = calls.size();
    if (size == 1) {
      return single(calls.get(0));
    }
    UUID[] ids = new UUID[size];
    String[] owners = new String[size];
    String[] phones = new String[size];
    String[] contexts = new String[size];
    String[] extensions = new String[size];
    Integer[] priorities = new Integer[size];
    Integer[] timeouts = new Integer[size];
    String[] callerIds = new String[size];
    JsonObject[] variables = new JsonObject[size];
    String[] keys = new String[size];
    String[] hashes = new String[size];
    String[] callbacks = new String[size];
    String[] callbackEvents = new String[size];
    String[] servers = new String[size];
    String[] statuses = new String[size];
    Integer[] maxAttempts = new Integer[size];
    String[] retryOn = new String[size];
    Integer[] retryDelays = new Integer[size];
    Integer[] maxQueueSeconds = new Integer[size];
    Integer[] concurrent = new Integer[size];
    Integer[] daily = new Integer[size];
    for (int i = 0; i < size; i++) {
      JsonObject call = calls.get(i);
      ids[i] = UUID.fromString(call.getString("call_id"));
      owners[i] = call.getString("owner");
      phones[i] = call.getString("phone_number");
      contexts[i] = call.getString("context");
      extensions[i] = call.getString("extension");
      priorities[i] = call.getInteger("priority");
      timeouts[i] = call.getInteger("timeout");
      callerIds[i] = call.getString("caller_id");
      variables[i] = call.getJsonObject("variables", new JsonObject());
      keys[i] = call.getString("idempotency_key");
      hashes[i] = call.getString("request_hash");
      callbacks[i] = call.getString("status_callback");
      callbackEvents[i] = joined(call.getJsonArray("status_callback_events"));
      servers[i] = call.getString("server", AsteriskServer.DEFAULT_NAME);
      statuses[i] = call.getString("status", "pending");
      JsonObject retry = call.getJsonObject("retry");
      maxAttempts[i] = retry == null ? 1 : retry.getInteger("max_attempts");
      retryOn[i] = retry == null ? "" : joined(retry.getJsonArray("on"));
      retryDelays[i] = retry == null ? 0 : retry.getInteger("delay_seconds");
      maxQueueSeconds[i] = call.getInteger("max_queue_seconds");
      JsonObject limits = call.getJsonObject("limits", new JsonObject());
      concurrent[i] = limits.getInteger("concurrent_calls", Integer.MAX_VALUE);
      daily[i] = limits.getInteger("calls_per_day", Integer.MAX_VALUE);
    }
    Tuple params = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(owners).addArrayOfString(phones)
        .addArrayOfString(contexts).addArrayOfString(extensions).addArrayOfInteger(priorities)
        .addArrayOfInteger(timeouts).addArrayOfString(callerIds).addArrayOfJsonObject(variables)
        .addArrayOfString(keys).addArrayOfString(hashes).addArrayOfString(callbacks).addArrayOfString(callbackEvents)
        .addArrayOfString(servers).addArrayOfString(statuses).addArrayOfInteger(maxAttempts)
        .addArrayOfString(retryOn).addArrayOfInteger(retryDelays).addArrayOfInteger(maxQueueSeconds)
        .addArrayOfInteger(concurrent).addArrayOfInteger(daily);
    return pool.preparedQuery(INSERT_BATCH).execute(params).map(rows -> {
      Outcome[] outcomes = new Outcome[size];
      for (Row row : rows) {
        outcomes[row.getInteger("input_index") - 1] = outcome(row);
      }
      return outcomes;
    });
  }

  private Future<Outcome[]> single(JsonObject call) {
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
        .addArrayOfString(strings(call.getJsonArray("status_callback_events")))
        .addString(call.getString("server", AsteriskServer.DEFAULT_NAME))
        .addString(call.getString("status", "pending"));
    JsonObject retry = call.getJsonObject("retry");
    params.addInteger(retry == null ? 1 : retry.getInteger("max_attempts"))
        .addArrayOfString(retry == null ? new String[0] : strings(retry.getJsonArray("on")))
        .addInteger(retry == null ? 0 : retry.getInteger("delay_seconds"))
        .addInteger(call.getInteger("max_queue_seconds"));
    JsonObject limits = call.getJsonObject("limits", new JsonObject());
    params.addInteger(limits.getInteger("concurrent_calls", Integer.MAX_VALUE))
        .addInteger(limits.getInteger("calls_per_day", Integer.MAX_VALUE));
    return pool.preparedQuery(INSERT).execute(params).map(rows -> new Outcome[] {outcome(rows.iterator().next())});
  }

  private static Outcome outcome(Row row) {
    String refused = row.getString("refused_limit");
    if (refused != null) {
      return new Outcome(null, new LimitReached(refused, row.getInteger("refused_value"),
          row.getInteger("retry_after")));
    }
    return new Outcome(row.getUUID("id") == null ? null : Rows.call(row), null);
  }

  /** A list column's values, null for null (status_callback_events null stores "the final ones", the default). */
  private static String[] strings(JsonArray values) {
    return values == null ? null : values.stream().map(String::valueOf).toArray(String[]::new);
  }

  /** A list column's values comma-joined (the values are status and cause names: never a comma), null for null. */
  private static String joined(JsonArray values) {
    if (values == null) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(values.getValue(i));
    }
    return out.toString();
  }

  /** A call refused by one of its owner's limits: the limit's name, its value, seconds until a retry may pass. */
  static final class LimitReached extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String limit;
    final int value;
    final int retryAfterSeconds;

    LimitReached(String limit, int value, int retryAfterSeconds) {
      super("limit " + limit + " (" + value + ") reached", null, false, false);
      this.limit = limit;
      this.value = value;
      this.retryAfterSeconds = retryAfterSeconds;
    }

    JsonObject toJson() {
      return new JsonObject().put("limit", limit).put("limit_value", value).put("retry_after", retryAfterSeconds);
    }
  }
}
