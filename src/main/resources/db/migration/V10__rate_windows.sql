-- Sliding-window rate limits shared by every node of a cluster (the token endpoint's per-address limit): one row
-- per key holding the instants of its requests in the current window, never more than the limit. Unlogged: a
-- crash of PostgreSQL empties it, which only forgets recent attempts (the windows last seconds), and no WAL is
-- written per token request. Single-process services keep their windows in memory and never touch it.
CREATE UNLOGGED TABLE rate_windows (
  key        text          PRIMARY KEY,
  hits       timestamptz[] NOT NULL,
  expires_at timestamptz   NOT NULL
);
CREATE INDEX rate_windows_expires_at ON rate_windows (expires_at);

-- Records one request for key when fewer than max_hits fall in the last window_seconds (by the database's clock,
-- the one clock all nodes share) and returns 0; otherwise records nothing and returns the whole seconds until the
-- oldest counted request leaves the window (at least 1). The row lock makes concurrent requests from every node
-- count one after another.
CREATE FUNCTION rate_window_acquire(p_key text, p_max_hits integer, p_window_seconds integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  now_ts  timestamptz := clock_timestamp();
  window_length interval := make_interval(secs => p_window_seconds);
  kept    timestamptz[];
BEGIN
  INSERT INTO rate_windows (key, hits, expires_at) VALUES (p_key, '{}', now_ts)
    ON CONFLICT (key) DO NOTHING;
  SELECT hits INTO kept FROM rate_windows WHERE key = p_key FOR UPDATE;
  kept := ARRAY(SELECT h FROM unnest(kept) AS h WHERE h > now_ts - window_length ORDER BY h);
  IF cardinality(kept) >= p_max_hits THEN
    UPDATE rate_windows SET hits = kept WHERE key = p_key;
    IF cardinality(kept) = 0 THEN
      RETURN greatest(1, p_window_seconds);
    END IF;
    RETURN greatest(1, ceil(extract(epoch FROM kept[1] + window_length - now_ts)))::integer;
  END IF;
  UPDATE rate_windows SET hits = kept || now_ts, expires_at = now_ts + window_length WHERE key = p_key;
  RETURN 0;
END;
$$;
