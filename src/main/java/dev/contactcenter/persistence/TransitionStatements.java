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
import java.util.function.Function;

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
   * Applies call transitions, many calls in one statement (one round trip, one commit): for each call a chain of
   * its transitions in order ({@link Chain}), usually one. A chain applies only if its call is in one of its first
   * step's allowed predecessor states ({@code allowed}, comma-separated); every later step may follow the one before
   * it (checked when the chain was built), so the call's row is updated once, to the last step's state with the
   * times each step sets, and each step is recorded in the timeline (the {@code e_} arrays: the chain's position in
   * the input, its from state when not the call's previous one, to, at, source) by the same statement. The rows are
   * locked in id order so concurrent writes serialise and two batches never deadlock. Timestamps come from the
   * events. {@code completed} also needs an answer: stored already, or in the chain ({@code answered_at}: the time
   * of its {@code answered} step, else the one a step carries), so a final transition applies even when the
   * {@code answered} one before it was lost. A call appears at most once per batch ({@link TransitionBatcher} keeps
   * its later transitions for the next statement); {@code n} maps each applied row back to its input, and the row's
   * values before the statement come back with it ({@code before_*}) to publish the steps before the last.
   * {@code owner_epoch} is the writer's ownership epoch of the call's server (null: no owner's write): V6's trigger
   * refuses a stale one (CCF01), failing the statement; {@link TransitionBatcher} then applies its rows one by one,
   * so only the fenced ones fail.
   */
  private static final String TRANSITION_BATCH = "WITH input AS ("
      + "   SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bool[], $5::text[], $6::text[],"
      + "     $7::int[], $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::bool[],"
      + "     $14::bigint[])"
      + "     WITH ORDINALITY AS t(id, status, at, terminal, allowed, failure_reason, hangup_cause, hangup_cause_text,"
      + "       channel, dialed_at, ringing_at, answered_at, approximate, owner_epoch, n)"
      + " ), previous AS ("
      + "   SELECT " + Rows.BEFORE_COLUMNS + " FROM calls WHERE id IN (SELECT id FROM input) ORDER BY id FOR UPDATE"
      + " ), updated AS ("
      + "   UPDATE calls c SET status = i.status, updated_at = now(), owner_epoch = i.owner_epoch,"
      + "     channel_id = COALESCE(i.channel, c.channel_id),"
      + "     dialed_at = COALESCE(c.dialed_at, i.dialed_at),"
      + "     ringing_at = COALESCE(c.ringing_at, i.ringing_at),"
      + "     answered_at = COALESCE(c.answered_at, i.answered_at),"
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
      + "   RETURNING " + Rows.callColumns("c") + ", p.status AS previous_status, i.n AS input_index, "
      + Rows.beforeColumns("p")
      + " ), logged AS ("
      + "   INSERT INTO call_events (call_id, from_status, to_status, source, at, callback)"
      + "   SELECT u.id, COALESCE(e.from_status, u.previous_status), e.to_status, e.source, e.at,"
      + "     u.status_callback IS NOT NULL"
      + "   FROM unnest($15::int[], $16::text[], $17::text[], $18::timestamptz[], $19::text[])"
      + "     WITH ORDINALITY AS e(input_index, from_status, to_status, at, source, k)"
      + "   JOIN updated u ON u.input_index = e.input_index"
      + "   ORDER BY e.k"
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
   * One call's transitions stored by one row of the statement, in order; each after the first may follow the one
   * before it ({@link dev.contactcenter.bus.TransitionChain#canFollow}).
   */
  record Chain(List<Transition> steps) {

    static Chain of(Transition transition) {
      return new Chain(List.of(transition));
    }

    UUID id() {
      return steps.get(0).id();
    }

    Transition first() {
      return steps.get(0);
    }

    Transition last() {
      return steps.get(steps.size() - 1);
    }

    /** The time of the chain's step into {@code state}, or null. */
    OffsetDateTime at(CallState state) {
      for (Transition step : steps) {
        if (step.to() == state) {
          return step.at();
        }
      }
      return null;
    }

    /** The answer the chain brings: its {@code answered} step's time, else the first one a step carries. */
    OffsetDateTime answeredAt() {
      for (Transition step : steps) {
        OffsetDateTime answered = step.to() == CallState.ANSWERED ? step.at() : step.answeredAt();
        if (answered != null) {
          return answered;
        }
      }
      return null;
    }

    /** What the steps set one after another would leave: the last value a step brings. */
    <T> T lastOf(Function<Transition, T> value) {
      for (int i = steps.size() - 1; i >= 0; i--) {
        T v = value.apply(steps.get(i));
        if (v != null) {
          return v;
        }
      }
      return null;
    }
  }

  /**
   * A chain's call as stored after it ({@code previous_status} added) and, for a chain of several steps, the values
   * its statement changed as they were before ({@link Rows#before}).
   */
  record Stored(JsonObject call, JsonObject before) {
  }

  /** Applies single transitions of distinct calls in one statement, as {@link #applyChains}. */
  Future<Stored[]> apply(List<Transition> batch) {
    return applyChains(batch.stream().map(Chain::of).toList());
  }

  /**
   * Applies the chains (distinct calls) in one statement. Element i of the result is chain i's call as stored, or
   * null when the guard refused its first step.
   */
  Future<Stored[]> applyChains(List<Chain> batch) {
    int size = batch.size();
    if (size == 1 && batch.get(0).steps().size() == 1) {
      return single(batch.get(0).first());
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
    OffsetDateTime[] dialed = new OffsetDateTime[size];
    OffsetDateTime[] ringing = new OffsetDateTime[size];
    OffsetDateTime[] answered = new OffsetDateTime[size];
    Boolean[] approximate = new Boolean[size];
    Long[] epochs = new Long[size];
    int events = 0;
    for (Chain chain : batch) {
      events += chain.steps().size();
    }
    Integer[] eventChain = new Integer[events];
    String[] eventFrom = new String[events];
    String[] eventTo = new String[events];
    OffsetDateTime[] eventAt = new OffsetDateTime[events];
    String[] eventSource = new String[events];
    int e = 0;
    for (int i = 0; i < size; i++) {
      Chain chain = batch.get(i);
      Transition last = chain.last();
      ids[i] = chain.id();
      statuses[i] = last.to().value();
      ats[i] = last.at();
      terminal[i] = last.to().isTerminal();
      allowed[i] = ALLOWED.get(chain.first().to());
      reasons[i] = chain.lastOf(Transition::failureReason);
      causes[i] = chain.lastOf(Transition::hangupCause);
      causeTexts[i] = chain.lastOf(Transition::hangupCauseText);
      channels[i] = chain.lastOf(Transition::channelId);
      dialed[i] = chain.at(CallState.DIALING);
      ringing[i] = chain.at(CallState.RINGING);
      answered[i] = chain.answeredAt();
      approximate[i] = last.endTimeApproximate();
      epochs[i] = last.ownerEpoch();
      Transition before = null;
      for (Transition step : chain.steps()) {
        eventChain[e] = i + 1;
        eventFrom[e] = before == null ? null : before.to().value();
        eventTo[e] = step.to().value();
        eventAt[e] = step.at();
        eventSource[e] = step.source();
        before = step;
        e++;
      }
    }
    Tuple params = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(statuses).addArrayOfOffsetDateTime(ats)
        .addArrayOfBoolean(terminal).addArrayOfString(allowed).addArrayOfString(reasons).addArrayOfInteger(causes)
        .addArrayOfString(causeTexts).addArrayOfString(channels).addArrayOfOffsetDateTime(dialed)
        .addArrayOfOffsetDateTime(ringing).addArrayOfOffsetDateTime(answered).addArrayOfBoolean(approximate)
        .addArrayOfLong(epochs).addArrayOfInteger(eventChain).addArrayOfString(eventFrom).addArrayOfString(eventTo)
        .addArrayOfOffsetDateTime(eventAt).addArrayOfString(eventSource);
    return pool.preparedQuery(TRANSITION_BATCH).execute(params).map(rows -> {
      Stored[] applied = new Stored[size];
      for (Row row : rows) {
        int index = row.getLong("input_index").intValue() - 1;
        JsonObject call = Rows.call(row).put("previous_status", row.getString("previous_status"));
        applied[index] = new Stored(call, batch.get(index).steps().size() > 1 ? Rows.before(row) : null);
      }
      return applied;
    });
  }

  private Future<Stored[]> single(Transition t) {
    Tuple params = Tuple.tuple().addUUID(t.id()).addString(t.to().value()).addOffsetDateTime(t.at())
        .addBoolean(t.to().isTerminal()).addArrayOfString(PREDECESSORS.get(t.to())).addString(t.failureReason())
        .addInteger(t.hangupCause()).addString(t.hangupCauseText()).addString(t.channelId()).addString(t.source())
        .addOffsetDateTime(t.answeredAt()).addBoolean(t.endTimeApproximate()).addLong(t.ownerEpoch());
    return pool.preparedQuery(TRANSITION).execute(params).map(rows -> {
      Stored[] applied = new Stored[1];
      for (Row row : rows) {
        applied[0] = new Stored(Rows.call(row).put("previous_status", row.getString("previous_status")), null);
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
