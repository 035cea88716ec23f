-- Usage changes (V11) written once per statement and owner instead of once per call (issue 15). The row triggers ran
-- a PL/pgSQL function and inserted a change row for every call created and every call leaving progress; each row was
-- later read by admissions, deleted by a fold and vacuumed. Statement triggers now read the statement's rows from its
-- transition tables and insert one change row per owner (and minute, for creations), counting its calls in the new
-- created_calls column; the admission functions (V19) sum that column where they counted rows. Their rule, lock order
-- and answers are unchanged; the changes they count are fewer rows.
-- Measured (bench/db-cost.sh busy, same run, 6,000 calls): 12 creations and 10 transitions per statement (the bench's
-- statements at 32 in flight) 0.90-0.94x PostgreSQL CPU per call with 4 or 8 users; 1-2 per statement 0.99-1.05x
-- (noise); answered 0.99x. An UPDATE trigger with transition tables cannot name columns (UPDATE OF status), so this
-- one runs after every update of calls and keeps only the rows that enter or leave progress.

ALTER TABLE user_usage_changes ADD COLUMN created_calls integer NOT NULL DEFAULT 0;
UPDATE user_usage_changes SET created_calls = 1 WHERE created_minute IS NOT NULL;

DROP TRIGGER calls_usage_insert ON calls;
DROP TRIGGER calls_usage_progress ON calls;
DROP FUNCTION calls_usage_insert();

CREATE FUNCTION calls_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_usage_changes (username, active_delta, created_minute, created_calls)
  SELECT owner, count(*) FILTER (WHERE status IN ('pending', 'dialing', 'ringing', 'answered')),
         date_trunc('minute', created_at), count(*)
  FROM inserted_calls GROUP BY owner, date_trunc('minute', created_at);
  RETURN NULL;
END;
$$;

-- Only calls entering or leaving progress count (twice per call at most), as before.
CREATE FUNCTION calls_usage_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_usage_changes (username, active_delta)
  SELECT n.owner, sum(CASE WHEN n.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE -1 END)
  FROM updated_calls n JOIN calls_before o ON o.id = n.id
  WHERE (o.status IN ('pending', 'dialing', 'ringing', 'answered'))
        IS DISTINCT FROM (n.status IN ('pending', 'dialing', 'ringing', 'answered'))
  GROUP BY n.owner
  HAVING sum(CASE WHEN n.status IN ('pending', 'dialing', 'ringing', 'answered') THEN 1 ELSE -1 END) <> 0;
  RETURN NULL;
END;
$$;

CREATE TRIGGER calls_usage_inserted AFTER INSERT ON calls
  REFERENCING NEW TABLE AS inserted_calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_usage_inserted();

-- Transition tables allow no column list (UPDATE OF status): the function filters the rows itself.
CREATE TRIGGER calls_usage_updated AFTER UPDATE ON calls
  REFERENCING OLD TABLE AS calls_before NEW TABLE AS updated_calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_usage_updated();

CREATE OR REPLACE FUNCTION calls_admit_batch(p_owners text[], p_statuses text[], p_default_concurrent integer[],
                                  p_default_daily integer[])
RETURNS TABLE (n integer, refused_limit text, refused_value integer, retry_after integer) LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE
  owners     text[] := ARRAY(SELECT DISTINCT o FROM unnest(p_owners) o ORDER BY 1);
  k          integer := cardinality(owners);
  total      integer := cardinality(p_owners);
  v_owner    text;
  j          integer;
  i          integer;
  wanted     integer;
  first_i    integer;
  max_active integer[] := array_fill(NULL::integer, ARRAY[k]);
  max_daily  integer[] := array_fill(NULL::integer, ARRAY[k]);
  n_active   integer[] := array_fill(0, ARRAY[k]);
  n_recent   integer[] := array_fill(0, ARRAY[k]);
  unlocked   boolean[] := array_fill(false, ARRAY[k]);
  admitted   boolean[] := array_fill(false, ARRAY[k]);
  ref_limit  text[] := array_fill(NULL::text, ARRAY[k]);
  ref_value  integer[] := array_fill(NULL::integer, ARRAY[k]);
  ref_after  integer[] := array_fill(NULL::integer, ARRAY[k]);
  m_active   integer;
  m_daily    integer;
  c_active   integer;
  c_recent   integer;
  oldest     timestamptz;
  margin     constant integer := current_setting('max_connections')::integer * 256;
  unfolded   bigint;
BEGIN
  FOR j IN 1..k LOOP
    v_owner := owners[j];
    first_i := array_position(p_owners, v_owner);
    SELECT count(*) INTO wanted FROM unnest(p_owners) o WHERE o = v_owner;
    SELECT COALESCE(u.max_concurrent_calls, p_default_concurrent[first_i]),
           COALESCE(u.max_calls_per_day, p_default_daily[first_i])
      INTO m_active, m_daily FROM users u WHERE u.username = v_owner;
    max_active[j] := m_active;
    max_daily[j] := m_daily;
    -- Lock the owner's counters until the commit (user_usage_lock's rule, V15): while another transaction holds
    -- them, admit without waiting or counting when even a whole statement's uncounted calls per open connection
    -- could not reach the limits; else wait for them.
    PERFORM 1 FROM user_usage WHERE username = v_owner FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      SELECT u.active + COALESCE(sum(c.active_delta), 0), u.recent + COALESCE(sum(c.created_calls), 0)
        INTO c_active, c_recent
        FROM user_usage u LEFT JOIN user_usage_changes c ON c.username = u.username
        WHERE u.username = v_owner GROUP BY u.active, u.recent;
      IF FOUND AND c_active + margin + wanted <= m_active AND c_recent + margin + wanted <= m_daily THEN
        unlocked[j] := true;
        CONTINUE;
      END IF;
      PERFORM 1 FROM user_usage WHERE username = v_owner FOR UPDATE;
      IF NOT FOUND THEN
        INSERT INTO user_usage (username) VALUES (v_owner) ON CONFLICT (username) DO NOTHING;
        PERFORM 1 FROM user_usage WHERE username = v_owner FOR UPDATE;
      END IF;
    END IF;
    -- The counters are locked: with the unfolded changes added (calls in progress exact; the last day an upper
    -- bound, its expired minutes leaving only at a fold), few changes waiting and room for this statement's calls
    -- even so, admit them without folding.
    SELECT u.active + COALESCE(sum(c.active_delta), 0), u.recent + COALESCE(sum(c.created_calls), 0),
           count(c.username)
      INTO c_active, c_recent, unfolded
      FROM user_usage u LEFT JOIN user_usage_changes c ON c.username = u.username
      WHERE u.username = v_owner GROUP BY u.active, u.recent;
    IF FOUND AND unfolded < 16 AND c_active + wanted <= m_active AND c_recent + wanted <= m_daily THEN
      n_active[j] := c_active;
      n_recent[j] := c_recent;
      CONTINUE;
    END IF;
    WITH folded AS (
      DELETE FROM user_usage_changes WHERE username = v_owner RETURNING active_delta, created_minute, created_calls
    ), recent_changes AS (
      SELECT created_minute, created_calls FROM folded WHERE created_minute > now() - interval '1 day 1 minute'
    ), counted AS (
      INSERT INTO user_usage_minutes AS m (username, minute, calls)
      SELECT v_owner, created_minute, sum(created_calls) FROM recent_changes GROUP BY created_minute
      ON CONFLICT (username, minute) DO UPDATE SET calls = m.calls + EXCLUDED.calls
    ), gone AS (
      DELETE FROM user_usage_minutes
      WHERE username = v_owner AND minute <= now() - interval '1 day 1 minute' RETURNING calls
    )
    UPDATE user_usage u
    SET active = u.active + (SELECT COALESCE(sum(active_delta), 0) FROM folded),
        recent = u.recent + (SELECT COALESCE(sum(created_calls), 0) FROM recent_changes)
                 - (SELECT COALESCE(sum(calls), 0) FROM gone)
    WHERE u.username = v_owner
    RETURNING u.active, u.recent INTO c_active, c_recent;
    n_active[j] := c_active;
    n_recent[j] := c_recent;
  END LOOP;

  FOR i IN 1..total LOOP
    j := array_position(owners, p_owners[i]);
    IF unlocked[j] THEN
      RETURN QUERY SELECT i, NULL::text, NULL::integer, NULL::integer;
      CONTINUE;
    END IF;
    IF ref_limit[j] IS NULL THEN
      IF n_active[j] >= max_active[j] THEN
        ref_limit[j] := 'concurrent_calls';
        ref_value[j] := max_active[j];
        ref_after[j] := 5;
      ELSIF n_recent[j] >= max_daily[j] THEN
        SELECT min(minute) INTO oldest FROM user_usage_minutes WHERE username = p_owners[i];
        IF admitted[j] THEN
          -- This statement's calls are not in the minutes yet: they are created now.
          oldest := LEAST(oldest, date_trunc('minute', now()));
        END IF;
        ref_limit[j] := 'calls_per_day';
        ref_value[j] := max_daily[j];
        ref_after[j] := LEAST(86400, GREATEST(1,
          ceil(extract(epoch FROM oldest + interval '1 day 1 minute' - now()))))::integer;
      END IF;
    END IF;
    IF ref_limit[j] IS NOT NULL THEN
      RETURN QUERY SELECT i, ref_limit[j], ref_value[j], ref_after[j];
      CONTINUE;
    END IF;
    IF p_statuses[i] IN ('pending', 'dialing', 'ringing', 'answered') THEN
      n_active[j] := n_active[j] + 1;
    END IF;
    n_recent[j] := n_recent[j] + 1;
    admitted[j] := true;
    RETURN QUERY SELECT i, NULL::text, NULL::integer, NULL::integer;
  END LOOP;
END;
$$;

-- One call, a statement of one (V18): the same rule.
CREATE OR REPLACE FUNCTION calls_admit(p_owner text, p_default_concurrent integer, p_default_daily integer)
RETURNS TABLE (refused_limit text, refused_value integer, retry_after integer) LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE
  max_active integer;
  max_daily  integer;
  n_active   integer;
  n_recent   integer;
  c_active   integer;
  c_recent   integer;
  oldest     timestamptz;
  margin     constant integer := current_setting('max_connections')::integer * 256;
  unfolded   bigint;
BEGIN
  SELECT COALESCE(u.max_concurrent_calls, p_default_concurrent), COALESCE(u.max_calls_per_day, p_default_daily)
    INTO max_active, max_daily FROM users u WHERE u.username = p_owner;
  -- Lock the owner's counters until the commit (user_usage_lock's rule, V15): while another transaction holds
  -- them, admit without waiting or counting when even a whole statement's uncounted calls per open connection
  -- could not reach the limits; else wait for them.
  PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    SELECT u.active + COALESCE(sum(c.active_delta), 0), u.recent + COALESCE(sum(c.created_calls), 0)
      INTO c_active, c_recent
      FROM user_usage u LEFT JOIN user_usage_changes c ON c.username = u.username
      WHERE u.username = p_owner GROUP BY u.active, u.recent;
    IF FOUND AND c_active + margin + 1 <= max_active AND c_recent + margin + 1 <= max_daily THEN
      RETURN QUERY SELECT NULL::text, NULL::integer, NULL::integer;
      RETURN;
    END IF;
    PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;
    IF NOT FOUND THEN
      INSERT INTO user_usage (username) VALUES (p_owner) ON CONFLICT (username) DO NOTHING;
      PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;
    END IF;
  END IF;
  SELECT u.active + COALESCE(sum(c.active_delta), 0), u.recent + COALESCE(sum(c.created_calls), 0), count(c.username)
    INTO c_active, c_recent, unfolded
    FROM user_usage u LEFT JOIN user_usage_changes c ON c.username = u.username
    WHERE u.username = p_owner GROUP BY u.active, u.recent;
  IF FOUND AND unfolded < 16 AND c_active + 1 <= max_active AND c_recent + 1 <= max_daily THEN
    RETURN QUERY SELECT NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  WITH folded AS (
    DELETE FROM user_usage_changes WHERE username = p_owner RETURNING active_delta, created_minute, created_calls
  ), recent_changes AS (
    SELECT created_minute, created_calls FROM folded WHERE created_minute > now() - interval '1 day 1 minute'
  ), counted AS (
    INSERT INTO user_usage_minutes AS m (username, minute, calls)
    SELECT p_owner, created_minute, sum(created_calls) FROM recent_changes GROUP BY created_minute
    ON CONFLICT (username, minute) DO UPDATE SET calls = m.calls + EXCLUDED.calls
  ), gone AS (
    DELETE FROM user_usage_minutes
    WHERE username = p_owner AND minute <= now() - interval '1 day 1 minute' RETURNING calls
  )
  UPDATE user_usage u
  SET active = u.active + (SELECT COALESCE(sum(active_delta), 0) FROM folded),
      recent = u.recent + (SELECT COALESCE(sum(created_calls), 0) FROM recent_changes)
               - (SELECT COALESCE(sum(calls), 0) FROM gone)
  WHERE u.username = p_owner
  RETURNING u.active, u.recent INTO n_active, n_recent;

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

