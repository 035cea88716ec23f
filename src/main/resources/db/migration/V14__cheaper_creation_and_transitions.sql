-- PostgreSQL CPU per call (issue 15).
--
-- Usage counters (V11) updated in place where no deadlock can come of it, so the common path writes, deletes and
-- vacuums no change rows, and an admission folds none:
--
-- * A call created through calls_admit: the admission holds its owner's counter lock already, so the insert counts
--   the call directly (calls_admit says so in a transaction-local setting naming the owner it locked).
-- * A call entering or leaving progress (any UPDATE of calls, e.g. a batch ending calls of several users): its
--   trigger adds the change in place when it can lock the owner's counters at once (SKIP LOCKED: it never waits,
--   so a batch neither waits for an admission's commit nor can deadlock with one, whatever order its rows come
--   in), and appends a change row when another transaction holds them.
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

CREATE FUNCTION calls_usage_progress_in_place() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := CASE WHEN NEW.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE -1 END;
BEGIN
  PERFORM 1 FROM user_usage WHERE username = NEW.owner FOR UPDATE SKIP LOCKED;
  IF FOUND THEN
    UPDATE user_usage SET active = active + delta WHERE username = NEW.owner;
  ELSE
    INSERT INTO user_usage_changes (username, active_delta) VALUES (NEW.owner, delta);
  END IF;
  RETURN NULL;
END;
$$;

-- Still a row trigger that fires only when a call enters or leaves progress: a statement trigger reading transition
-- tables measured about 0.5 ms per statement in the bench (originate: ~60 us per call), more than it saved.
DROP TRIGGER calls_usage_progress ON calls;
CREATE TRIGGER calls_usage_progress AFTER UPDATE OF status ON calls
  FOR EACH ROW
  WHEN ((OLD.status IN ('pending', 'dialing', 'ringing', 'answered'))
        IS DISTINCT FROM (NEW.status IN ('pending', 'dialing', 'ringing', 'answered')))
  EXECUTE FUNCTION calls_usage_progress_in_place();

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
