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
-- the next admission of that user reads them. Returns one row: refused_limit NULL when admitted, else the limit's
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
  INSERT INTO user_usage (username) VALUES (p_owner) ON CONFLICT (username) DO NOTHING;
  PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;

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
