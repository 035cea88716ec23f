-- Batched call creation (issue 15): the calls that arrive together are admitted and inserted by one statement.
--
-- calls_admit_batch admits the calls of one statement against their owners' limits with V11's rules, folding each
-- owner's usage changes once per statement instead of once per call. Input: one element per call, in arrival
-- order (owner, initial status, the configured defaults of calls in progress and calls per day). Owners are
-- locked in sorted order, so two statements sharing owners wait for each other and never deadlock; the locks are
-- held until the commit, so the calls inserted by the same statement are counted before the next admission of
-- those owners reads the counters. An owner's calls are admitted in order while they fit: the first one that does
-- not fit and every later one of that owner get the refusal a single creation would have got (the counters no
-- longer change after a refusal). A call counts toward the concurrent limit only when it starts in progress
-- (queued calls do not, as in V11), and every admitted call counts toward the day.
--
-- Returns one row per input element: n (its 1-based position) and, when refused, the limit's name, its value and
-- the seconds after which a retry may pass.
--
-- While another transaction holds an owner's counters, the owner's calls are admitted without waiting when the
-- committed use is so far below both limits that no number of uncounted calls open connections may hold could
-- reach them: each connection holds at most one statement's calls, at most 256 (CreationBatcher.MAX_BATCH).

-- Locks p_owner's usage counters until the end of the transaction and returns true; or, while another
-- transaction holds them, returns false without waiting when the committed use is so far below both limits that
-- p_wanted more calls plus a whole statement's uncounted calls (at most 256, CreationBatcher.MAX_BATCH) per open
-- connection could not reach them: the caller then admits without counting.
CREATE FUNCTION user_usage_lock(p_owner text, p_max_active integer, p_max_daily integer, p_wanted integer)
RETURNS boolean LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE
  margin   constant integer := current_setting('max_connections')::integer * 256;
  c_active integer;
  c_recent integer;
BEGIN
  PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    SELECT u.active + COALESCE(sum(c.active_delta), 0), u.recent + count(c.created_minute)
      INTO c_active, c_recent
      FROM user_usage u LEFT JOIN user_usage_changes c ON c.username = u.username
      WHERE u.username = p_owner GROUP BY u.active, u.recent;
    IF FOUND AND c_active + margin + p_wanted <= p_max_active AND c_recent + margin + p_wanted <= p_max_daily THEN
      RETURN false;
    END IF;
    PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;
  END IF;
  IF NOT FOUND THEN
    INSERT INTO user_usage (username) VALUES (p_owner) ON CONFLICT (username) DO NOTHING;
    PERFORM 1 FROM user_usage WHERE username = p_owner FOR UPDATE;
  END IF;
  RETURN true;
END;
$$;

-- Folds p_owner's usage changes into its counters (V11's fold; the caller holds the counters' lock) and returns
-- them: calls in progress, calls created in the last day and one minute.
CREATE FUNCTION user_usage_fold(p_owner text, OUT n_active integer, OUT n_recent integer) LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE
  d_active integer;
  d_calls  integer;
  expired  integer;
BEGIN
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

  UPDATE user_usage u SET active = u.active + d_active, recent = u.recent + d_calls - expired
  WHERE u.username = p_owner RETURNING u.active, u.recent INTO n_active, n_recent;
END;
$$;

CREATE FUNCTION calls_admit_batch(p_owners text[], p_statuses text[], p_default_concurrent integer[],
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
    IF NOT user_usage_lock(v_owner, m_active, m_daily, wanted) THEN
      unlocked[j] := true;
      CONTINUE;
    END IF;
    SELECT f.n_active, f.n_recent INTO c_active, c_recent FROM user_usage_fold(v_owner) f;
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

-- V11's admission of one call, kept for a statement of one call (its plan costs PostgreSQL about a quarter less
-- than calls_admit_batch's for one call), now assuming what calls_admit_batch assumes of other connections: each
-- may hold a whole statement's uncounted calls.
CREATE OR REPLACE FUNCTION calls_admit(p_owner text, p_default_concurrent integer, p_default_daily integer)
RETURNS TABLE (refused_limit text, refused_value integer, retry_after integer) LANGUAGE plpgsql
SET enable_seqscan = off SET enable_bitmapscan = off AS $$
DECLARE
  max_active integer;
  max_daily  integer;
  n_active   integer;
  n_recent   integer;
  oldest     timestamptz;
BEGIN
  SELECT COALESCE(u.max_concurrent_calls, p_default_concurrent), COALESCE(u.max_calls_per_day, p_default_daily)
    INTO max_active, max_daily FROM users u WHERE u.username = p_owner;
  IF NOT user_usage_lock(p_owner, max_active, max_daily, 1) THEN
    RETURN QUERY SELECT NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  SELECT f.n_active, f.n_recent INTO n_active, n_recent FROM user_usage_fold(p_owner) f;

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
