-- Status changes that do not end a call (dialing, ringing, answered) touch no indexed column, so PostgreSQL updates
-- the row in place (a HOT update: no new entry in any index of calls, no index to vacuum). For that, no index of
-- calls may key on, or be filtered by, the status: the partial indexes of calls in progress are filtered by
-- ended_at IS NULL instead (set by the final transition, together with the final status). Queries for calls in
-- progress say "ended_at IS NULL AND status IN (active states)" so that the planner uses them.
DROP INDEX calls_active_idx;
CREATE INDEX calls_active_idx ON calls (created_at) WHERE ended_at IS NULL;

DROP INDEX calls_server_active_idx;
CREATE INDEX calls_server_active_idx ON calls (server) WHERE ended_at IS NULL;

-- Room on each page for the next versions of its rows: a call changes state three to four times in its first minute.
ALTER TABLE calls SET (fillfactor = 70);

-- The queue index (V8) is filtered the same way: a queued call is never claimed nor ended, and the dispatcher's
-- queue queries say so ("status = 'queued' AND claimed_at IS NULL AND ended_at IS NULL").
DROP INDEX calls_queue_idx;
CREATE INDEX calls_queue_idx ON calls (server, not_before, created_at) WHERE claimed_at IS NULL AND ended_at IS NULL;

-- Deleting a call (retention) sets previous_attempt_id to NULL in its retries (V8's ON DELETE SET NULL): without an
-- index that lookup reads the whole table once per deleted call.
CREATE INDEX calls_previous_attempt_idx ON calls (previous_attempt_id) WHERE previous_attempt_id IS NOT NULL;
