-- Per-user usage counters (issue 15): the limits check at call creation reads a few rows per user instead of
-- counting the user's calls, and takes a lock on the user's counters so that two concurrent creations cannot both
-- take the last slot.
--
-- Triggers on calls never update a counter in place (that would make every statement ending calls of several users
-- lock counter rows in its own order, and concurrent ones could deadlock): they append a change row. The admission
-- of a new call, holding the user's counter lock, folds the user's committed changes into the counters first.

-- Calls in progress (pending, dialing, ringing, answered: what the concurrent limit counts; queued calls are not)
-- and calls created in the minutes kept in user_usage_minutes (the calls-per-day limit).
CREATE TABLE user_usage (
  username text    PRIMARY KEY,
  active   integer NOT NULL DEFAULT 0,
  recent   integer NOT NULL DEFAULT 0
);

-- Calls created per user and minute, for the last day and one minute: a minute leaves when all of its calls are
-- more than a day old, so the day window counts at most one minute too much, never too little.
CREATE TABLE user_usage_minutes (
  username text        NOT NULL,
  minute   timestamptz NOT NULL,
  calls    integer     NOT NULL,
  PRIMARY KEY (username, minute)
);

-- Changes not folded yet: a new call (created_minute set), or a call entering (+1) or leaving (-1) progress.
CREATE TABLE user_usage_changes (
  username       text        NOT NULL,
  active_delta   integer     NOT NULL,
  created_minute timestamptz
);
CREATE INDEX user_usage_changes_username_idx ON user_usage_changes (username);
-- Rows live from a call's change to its owner's next admission: vacuumed often so folds read few dead ones.
ALTER TABLE user_usage_changes SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                                    autovacuum_vacuum_insert_scale_factor = 0,
                                    autovacuum_vacuum_insert_threshold = 1000);

CREATE FUNCTION calls_usage_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_usage_changes (username, active_delta, created_minute)
  VALUES (NEW.owner, CASE WHEN NEW.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE 0 END,
          date_trunc('minute', NEW.created_at));
  RETURN NULL;
END;
$$;

CREATE FUNCTION calls_usage_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO user_usage_changes (username, active_delta) VALUES (OLD.owner, -1);
  ELSE
    INSERT INTO user_usage_changes (username, active_delta)
    VALUES (NEW.owner, CASE WHEN NEW.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE -1 END);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER calls_usage_insert AFTER INSERT ON calls
  FOR EACH ROW EXECUTE FUNCTION calls_usage_insert();

-- Fires only when a call enters or leaves progress (twice per call at most), not on every transition.
CREATE TRIGGER calls_usage_progress AFTER UPDATE OF status ON calls
  FOR EACH ROW
  WHEN ((OLD.status IN ('pending', 'dialing', 'ringing', 'answered'))
        IS DISTINCT FROM (NEW.status IN ('pending', 'dialing', 'ringing', 'answered')))
  EXECUTE FUNCTION calls_usage_progress();

CREATE TRIGGER calls_usage_delete AFTER DELETE ON calls
  FOR EACH ROW
  WHEN (OLD.status IN ('pending', 'dialing', 'ringing', 'answered'))
  EXECUTE FUNCTION calls_usage_progress();

-- Admission of one new call of p_owner against its limits (the user's own, else the given defaults). Locks the
-- user's counters until the end of the transaction, so the call inserted by the same statement is counted before
-- the next admission of that user reads them; while they are locked, an admission far below the limits does not
-- wait for them. Returns one row: refused_limit NULL when admitted, else the limit's
-- name, its value and the seconds after which a retry may pass. Reads no calls: its cost does not grow with them.
CREATE FUNCTION calls_admit(p_owner text, p_default_concurrent integer, p_default_daily integer)
RETURNS TABLE (refused_limit text, refused_value integer, retry_after integer) LANGUAGE plpgsql AS $$
DECLARE
  max_active integer;
  max_daily  integer;
  d_active   integer;
  d_calls    integer;
  expired    integer;
  n_active   integer;
  n_recent   integer;
  oldest     timestamptz;
BEGIN
  SELECT COALESCE(u.max_concurrent_calls, p_default_concurrent), COALESCE(u.max_calls_per_day, p_default_daily)
    INTO max_active, max_daily FROM users u WHERE u.username = p_owner;
  PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    -- Another admission of this user holds the counters. Without waiting for its commit, admit when the committed
    -- use is so far below both limits that even one uncounted call per open connection could not reach them.
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

  WITH folded AS (
    DELETE FROM user_usage_changes WHERE username = p_owner RETURNING active_delta, created_minute
  ), counted AS (
    INSERT INTO user_usage_minutes AS m (username, minute, calls)
    SELECT p_owner, created_minute, count(*) FROM folded WHERE created_minute IS NOT NULL GROUP BY created_minute
    ON CONFLICT (username, minute) DO UPDATE SET calls = m.calls + EXCLUDED.calls
  )
  SELECT COALESCE(sum(active_delta), 0), count(created_minute) INTO d_active, d_calls FROM folded;

  WITH gone AS (
    DELETE FROM user_usage_minutes
    WHERE username = p_owner AND minute <= now() - interval '1 day 1 minute' RETURNING calls
  )
  SELECT COALESCE(sum(calls), 0) INTO expired FROM gone;

  UPDATE user_usage SET active = active + d_active, recent = recent + d_calls - expired
  WHERE username = p_owner RETURNING active, recent INTO n_active, n_recent;

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
  RETURN QUERY SELECT NULL::text, NULL::integer, NULL::integer;
END;
$$;

-- The counters of the calls already stored.
INSERT INTO user_usage_changes (username, active_delta, created_minute)
SELECT owner, CASE WHEN status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE 0 END,
       CASE WHEN created_at > now() - interval '1 day 1 minute' THEN date_trunc('minute', created_at) END
FROM calls
WHERE status IN ('pending', 'dialing', 'ringing', 'answered') OR created_at > now() - interval '1 day 1 minute';

-- Webhook outbox (V4) written once per statement instead of once per event row: the per-row trigger ran two
-- queries per transition (the call, then its owner's endpoints) even when nobody subscribed, which is almost always.
CREATE FUNCTION webhook_enqueue_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
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

DROP TRIGGER call_events_webhooks ON call_events;
DROP FUNCTION webhook_enqueue();
CREATE TRIGGER call_events_webhooks AFTER INSERT ON call_events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_enqueue_statement();

-- Fencing (V6) checked once per server and transaction: the first write of a transaction takes FOR SHARE on the
-- server's ownership row; held until the commit, that lock keeps the epoch current for every later row of the
-- same transaction (a takeover's epoch bump waits for it), so those rows need not look again. The setting is
-- transaction-local and, like the lock, undone when a subtransaction that took it rolls back.
CREATE OR REPLACE FUNCTION calls_refuse_stale_epoch() RETURNS trigger
  LANGUAGE plpgsql AS $$
  DECLARE
    current_epoch bigint;
    fenced text := NEW.server || ':' || NEW.owner_epoch;
  BEGIN
    IF current_setting('contactcenter.fenced_epoch', true) = fenced THEN
      RETURN NEW;
    END IF;
    SELECT epoch INTO current_epoch FROM asterisk_server_owners WHERE server = NEW.server FOR SHARE;
    IF current_epoch IS NULL OR current_epoch <> NEW.owner_epoch THEN
      RAISE EXCEPTION 'stale ownership of server %: epoch % is not the current %', NEW.server, NEW.owner_epoch,
        coalesce(current_epoch::text, 'none')
        USING ERRCODE = 'CCF01';
    END IF;
    PERFORM set_config('contactcenter.fenced_epoch', fenced, true);
    RETURN NEW;
  END
  $$;

-- Writes without an epoch (creation, no owner's write) are not fenced: skip the function call altogether.
DROP TRIGGER calls_fence_owner_epoch ON calls;
CREATE TRIGGER calls_fence_owner_epoch
  BEFORE INSERT OR UPDATE ON calls
  FOR EACH ROW WHEN (NEW.owner_epoch IS NOT NULL) EXECUTE FUNCTION calls_refuse_stale_epoch();

-- A change of ownership rows in the same transaction (an epoch bump) forgets the check made before it.
CREATE FUNCTION asterisk_server_owners_forget_fencing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('contactcenter.fenced_epoch', '', true);
  RETURN NULL;
END;
$$;

CREATE TRIGGER asterisk_server_owners_forget_fencing AFTER INSERT OR UPDATE OR DELETE ON asterisk_server_owners
  FOR EACH STATEMENT EXECUTE FUNCTION asterisk_server_owners_forget_fencing();
