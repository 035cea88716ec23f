package dev.contactcenter.persistence;

import dev.contactcenter.calls.CallState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Call state changes: each one guarded and timelined in the database, many calls per statement. */
final class TransitionStatements {

  /**
   * {@link #TRANSITION_BATCH} for one transition: the simpler plan costs PostgreSQL less when a batch holds one.
   * Applies a transition only if the row is in one of the allowed predecessor states ($5), locking the row so
   * concurrent events serialise; records the timeline entry in the same statement. Timestamps come from the event.
   * {@code completed} also needs an answer: stored already, or carried by the transition ($11), so a final
   * transition applies even when the {@code answered} one before it was lost.
   * $1 id, $2 new status, $3 at, $4 terminal?, $5 allowed predecessors, $6 failure reason, $7 hangup cause,
   * $8 hangup cause text, $9 channel id, $10 source, $11 answered at (if known), $12 end time approximate?,
   * $13 the writer's ownership epoch of the call's server (null: no owner's write): V6's trigger refuses a stale one.
   * Each timeline entry notes whether its call has a status callback: without one, and with no webhook endpoint
   * enabled anywhere, V16's outbox trigger has nothing to look up.
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
      + "   RETURNING " + Rows.callColumns("c") + ", p.status AS previous_status"
      + " ), logged AS ("
      + "   INSERT INTO call_events (call_id, from_status, to_status, source, at, callback)"
      + "   SELECT id, previous_status, status, $10, $3, status_callback IS NOT NULL FROM updated"
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
      + "   RETURNING " + Rows.callColumns("c") + ", p.status AS previous_status, i.n AS input_index, i.source AS event_source,"
      + "     i.at AS event_at"
      + " ), logged AS ("
      + "   INSERT INTO call_events (call_id, from_status, to_status, source, at, callback)"
      + "   SELECT id, previous_status, status, event_source, event_at, status_callback IS NOT NULL FROM updated"
      + "   ORDER BY input_index"
      + " ) SELECT * FROM updated";


  private final Pool pool;

  TransitionStatements(Pool pool) {
    this.pool = pool;
  }

  /** One call transition as {@link #apply} takes it. */
  record Transition(UUID id, CallState to, OffsetDateTime at, String failureReason, Integer hangupCause,
      String hangupCauseText, String channelId, String source, OffsetDateTime answeredAt, boolean endTimeApproximate,
      Long ownerEpoch) {
  }

  /**
   * Applies the transitions (distinct calls) in one statement. Element i of the result is the updated call plus
   * {@code previous_status}, or null when the guard refused transition i.
   */
  Future<JsonObject[]> apply(List<Transition> batch) {
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
}
