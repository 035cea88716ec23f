-- PostgreSQL CPU per call (issue 15).
--
-- Usage counters (V11) updated in place where no deadlock can come of it, so the common path writes, deletes and
-- vacuums no change rows, and an admission folds none:
--
-- * A call created through calls_admit: the admission holds its owner's counter lock already, so the insert counts
--   the call directly (calls_admit says so in a transaction-local setting naming the owner it locked).
-- * Calls entering or leaving progress (any UPDATE of calls, e.g. a batch ending calls of several users): one
--   statement-level trigger adds each owner's net change in place when it can lock the owner's counters at once
--   (SKIP LOCKED: it never waits, so a batch neither waits for an admission's commit nor can deadlock with one), and
--   appends a change row for an owner whose counters another transaction holds.
-- * Everything else (an insert without the owner's lock, e.g. a retry scheduled inside a batch; a deleted call in
--   progress) appends a change row as before, folded by the owner's next admission.

CREATE OR REPLACE FUNCTION calls_usage_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := CASE WHEN NEW.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE 0 END;
BEGIN
  IF current_setting('contactcenter.usage_locked', true) = NEW.owner THEN
    UPDATE user_usage SET active = active + delta, recent = recent + 1 WHERE username = NEW.owner;
    INSERT INTO user_usage_minutes AS m (username, minute, calls)
    VALUES (NEW.owner, date_trunc('minute', NEW.created_at), 1)
    ON CONFLICT (username, minute) DO UPDATE SET calls = m.calls + 1;
  ELSE
    INSERT INTO user_usage_changes (username, active_delta, created_minute)
    VALUES (NEW.owner, delta, date_trunc('minute', NEW.created_at));
  END IF;
  RETURN NULL;
END;
$$;

CREATE FUNCTION calls_usage_progress_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH changed AS (
    SELECT n.owner, sum(CASE WHEN n.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE -1 END) AS delta
    FROM old_calls o JOIN new_calls n ON n.id = o.id
    WHERE (o.status IN ('pending', 'dialing', 'ringing', 'answered'))
          IS DISTINCT FROM (n.status IN ('pending', 'dialing', 'ringing', 'answered'))
    GROUP BY n.owner
  ), locked AS (
    SELECT u.username FROM user_usage u WHERE u.username IN (SELECT owner FROM changed)
    ORDER BY u.username FOR UPDATE SKIP LOCKED
  ), counted AS (
    UPDATE user_usage u SET active = u.active + c.delta FROM changed c
    WHERE u.username = c.owner AND u.username IN (SELECT username FROM locked)
  )
  INSERT INTO user_usage_changes (username, active_delta)
  SELECT c.owner, c.delta FROM changed c WHERE c.owner NOT IN (SELECT username FROM locked) AND c.delta <> 0;
  RETURN NULL;
END;
$$;

DROP TRIGGER calls_usage_progress ON calls;
CREATE TRIGGER calls_usage_progress AFTER UPDATE ON calls
  REFERENCING OLD TABLE AS old_calls NEW TABLE AS new_calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_usage_progress_statement();

-- As V11's, plus: folds only when there are changes to fold, and, once it holds the counter lock and admits,
-- lets the insert of the same transaction count the call in place.
CREATE OR REPLACE FUNCTION calls_admit(p_owner text, p_default_concurrent integer, p_default_daily integer)
RETURNS TABLE (refused_limit text, refused_value integer, retry_after integer) LANGUAGE plpgsql AS $$
DECLARE
  max_active integer;
  max_daily  integer;
  d_active   integer := 0;
  d_calls    integer := 0;
  expired    integer;
  n_active   integer;
  n_recent   integer;
  oldest     timestamptz;
BEGIN
  SELECT COALESCE(u.max_concurrent_calls, p_default_concurrent), COALESCE(u.max_calls_per_day, p_default_daily)
    INTO max_active, max_daily FROM users u WHERE u.username = p_owner;
  PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    -- Another transaction holds the counters. Without waiting for its commit, admit when the committed use is so
    -- far below both limits that even one uncounted call per open connection could not reach them.
    SELECT u.active + COALESCE(sum(c.active_delta), 0), u.recent + count(c.created_minute)
      INTO n_active, n_recent
      FROM user_usage u LEFT JOIN user_usage_changes c ON c.username = u.username
      WHERE u.username = p_owner GROUP BY u.active, u.recent;
    IF FOUND AND n_active + current_setting('max_connections')::integer < max_active
       AND n_recent + current_setting('max_connections')::integer < max_daily THEN
      RETURN QUERY SELECT NULL::text, NULL::integer, NULL::integer;
      RETURN;
    END IF;
    PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    INSERT INTO user_usage (username) VALUES (p_owner) ON CONFLICT (username) DO NOTHING;
    PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;
  END IF;

  -- Not an index-only scan: a plain one marks the index entries of folded rows dead, so later probes skip them.
  PERFORM active_delta FROM user_usage_changes WHERE username = p_owner LIMIT 1;
  IF FOUND THEN
    WITH folded AS (
      DELETE FROM user_usage_changes WHERE username = p_owner RETURNING active_delta, created_minute
    ), counted AS (
      INSERT INTO user_usage_minutes AS m (username, minute, calls)
      SELECT p_owner, created_minute, count(*) FROM folded WHERE created_minute IS NOT NULL GROUP BY created_minute
      ON CONFLICT (username, minute) DO UPDATE SET calls = m.calls + EXCLUDED.calls
    )
    SELECT COALESCE(sum(active_delta), 0), count(created_minute) INTO d_active, d_calls FROM folded;
  END IF;

  WITH gone AS (
    DELETE FROM user_usage_minutes
    WHERE username = p_owner AND minute <= now() - interval '1 day 1 minute' RETURNING calls
  )
  SELECT COALESCE(sum(calls), 0) INTO expired FROM gone;

  IF d_active <> 0 OR d_calls <> expired THEN
    UPDATE user_usage SET active = active + d_active, recent = recent + d_calls - expired
    WHERE username = p_owner RETURNING active, recent INTO n_active, n_recent;
  ELSE
    SELECT active, recent INTO n_active, n_recent FROM user_usage WHERE username = p_owner;
  END IF;

  IF n_active >= max_active THEN
    RETURN QUERY SELECT 'concurrent_calls'::text, max_active, 5;
    RETURN;
  END IF;
  IF n_recent >= max_daily THEN
    SELECT min(minute) INTO oldest FROM user_usage_minutes WHERE username = p_owner;
    RETURN QUERY SELECT 'calls_per_day'::text, max_daily,
      LEAST(86400, GREATEST(1, ceil(extract(epoch FROM oldest + interval '1 day 1 minute' - now()))))::integer;
    RETURN;
  END IF;
  PERFORM set_config('contactcenter.usage_locked', p_owner, true);
  RETURN QUERY SELECT NULL::text, NULL::integer, NULL::integer;
END;
$$;

-- CREATE OR REPLACE resets a function's settings: V13's, again.
ALTER FUNCTION calls_admit(text, integer, integer) SET enable_seqscan = off;
ALTER FUNCTION calls_admit(text, integer, integer) SET enable_bitmapscan = off;

-- Calls created without an idempotency key (almost all) need no entry in the per-owner key index: one index
-- entry fewer per creation and per final transition (which is not a HOT update). The index keeps its name;
-- ON CONFLICT names its predicate to use it.
ALTER TABLE calls DROP CONSTRAINT calls_idempotency_key_per_owner;
CREATE UNIQUE INDEX calls_idempotency_key_per_owner ON calls (owner, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- The webhook outbox trigger (V11) leaves at once when nobody subscribed (almost always): no enabled endpoint at
-- all, and none of the statement's calls has its own callback, which a probe of this small index answers.
CREATE INDEX calls_status_callback_idx ON calls (id) WHERE status_callback IS NOT NULL;

CREATE OR REPLACE FUNCTION webhook_enqueue_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled)
     AND NOT EXISTS (SELECT 1 FROM new_events ev JOIN calls c ON c.id = ev.call_id
                     WHERE c.status_callback IS NOT NULL) THEN
    RETURN NULL;
  END IF;
  WITH subscribed AS (
    SELECT ev.id AS event_id, ev.from_status, ev.to_status, ev.at, c.id AS call_id, c.owner, c.phone_number,
           c.channel_id, c.failure_reason, c.hangup_cause, c.duration_seconds, c.status_callback,
           c.status_callback_events
    FROM new_events ev JOIN calls c ON c.id = ev.call_id
    WHERE c.status_callback IS NOT NULL
       OR EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.owner = c.owner AND e.enabled)
  ), payloads AS (
    SELECT s.*, jsonb_build_object(
      'type', 'call.status_changed',
      'timestamp', to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'data', jsonb_build_object(
        'call_id', s.call_id,
        'status', s.to_status,
        'previous_status', s.from_status,
        'phone_number', s.phone_number,
        'owner', s.owner,
        'channel', s.channel_id,
        'failure_reason', s.failure_reason,
        'hangup_cause', s.hangup_cause,
        'duration', s.duration_seconds,
        'sequence', s.event_id)) AS payload
    FROM subscribed s
  ), deliveries AS (
    -- A callback that answered 410 is off for the rest of the call.
    SELECT 'msg_' || p.event_id || '_callback' AS webhook_id, NULL::uuid AS endpoint_id, 'callback' AS stream,
           p.owner, p.call_id, p.event_id, p.status_callback AS url, p.payload, 0 AS kind
    FROM payloads p
    WHERE p.status_callback IS NOT NULL
      AND p.to_status = ANY (COALESCE(p.status_callback_events,
                                      ARRAY['completed', 'failed', 'busy', 'no_answer', 'canceled']))
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries g
                      WHERE g.call_id = p.call_id AND g.stream = 'callback' AND g.last_status_code = 410)
    UNION ALL
    SELECT 'msg_' || p.event_id || '_' || replace(e.id::text, '-', ''), e.id, e.id::text, e.owner, p.call_id,
           p.event_id, e.url, p.payload, 1
    FROM payloads p JOIN webhook_endpoints e ON e.owner = p.owner AND e.enabled AND p.to_status = ANY (e.events)
  )
  INSERT INTO webhook_deliveries (webhook_id, endpoint_id, stream, owner, call_id, event_id, url, payload)
  SELECT webhook_id, endpoint_id, stream, owner, call_id, event_id, url, payload FROM deliveries
  ORDER BY event_id, kind;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM pg_notify('webhook_deliveries', '');
  END IF;
  RETURN NULL;
END;
$$;
