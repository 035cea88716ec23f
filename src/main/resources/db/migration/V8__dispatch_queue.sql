-- Admission control and retries (issue 12): a durable queue of calls per Asterisk server, paced by its owner.

-- 'queued': accepted, waiting for its server's capacity (or its retry time); comes before 'pending'.
ALTER TABLE calls DROP CONSTRAINT calls_status_check;
ALTER TABLE calls ADD CONSTRAINT calls_status_check
  CHECK (status IN ('queued', 'pending', 'dialing', 'ringing', 'answered',
                    'completed', 'failed', 'busy', 'no_answer', 'canceled'));

ALTER TABLE calls
  -- Not dialled before this moment; the queue's order is (not_before, created_at).
  ADD COLUMN not_before          timestamptz NOT NULL DEFAULT now(),
  -- A queued call still queued at this moment ends 'failed' (max_queue_seconds after it became due).
  ADD COLUMN max_queue_seconds   integer CHECK (max_queue_seconds > 0),
  ADD COLUMN queue_expires_at    timestamptz,
  -- Retries: each attempt is its own call; first_attempt_id is NULL on the first attempt itself.
  ADD COLUMN previous_attempt_id uuid REFERENCES calls (id) ON DELETE SET NULL,
  ADD COLUMN first_attempt_id    uuid REFERENCES calls (id) ON DELETE CASCADE,
  ADD COLUMN retry_max_attempts  integer NOT NULL DEFAULT 1 CHECK (retry_max_attempts BETWEEN 1 AND 20),
  ADD COLUMN retry_on            text[]  NOT NULL DEFAULT '{}',
  ADD COLUMN retry_delay_seconds integer NOT NULL DEFAULT 0 CHECK (retry_delay_seconds BETWEEN 0 AND 86400),
  -- Taken off the queue (status became 'pending') by the server's owner ...
  ADD COLUMN claimed_at          timestamptz,
  -- ... and about to be dialled. A claimed call without this was certainly never dialled: it goes back to the
  -- queue if its claimer died; one with it may have been dialled and is reconciled against Asterisk instead.
  ADD COLUMN dial_sent_at        timestamptz;

-- The queue of each server, in the order its owner takes it.
CREATE INDEX calls_queue_idx ON calls (server, not_before, created_at) WHERE status = 'queued';
-- A first attempt's later attempts.
CREATE INDEX calls_attempts_idx ON calls (first_attempt_id, attempt_number) WHERE first_attempt_id IS NOT NULL;

-- The next attempt is written by the same statement that stores the terminal transition of the previous one, so
-- an attempt never ends without its successor (or with two). A call that ended in the queue (expired) is not
-- retried: it was never dialled.
CREATE FUNCTION calls_schedule_retry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  due timestamptz := COALESCE(NEW.ended_at, now()) + make_interval(secs => NEW.retry_delay_seconds);
BEGIN
  INSERT INTO calls (id, owner, phone_number, status, context, extension, priority, timeout_ms, caller_id, variables,
                     status_callback, status_callback_events, server, attempt_number, previous_attempt_id,
                     first_attempt_id, retry_max_attempts, retry_on, retry_delay_seconds, max_queue_seconds,
                     not_before, queue_expires_at)
  VALUES (gen_random_uuid(), NEW.owner, NEW.phone_number, 'queued', NEW.context, NEW.extension, NEW.priority,
          NEW.timeout_ms, NEW.caller_id, NEW.variables, NEW.status_callback, NEW.status_callback_events, NEW.server,
          NEW.attempt_number + 1, NEW.id, COALESCE(NEW.first_attempt_id, NEW.id), NEW.retry_max_attempts,
          NEW.retry_on, NEW.retry_delay_seconds, NEW.max_queue_seconds, due,
          due + make_interval(secs => NEW.max_queue_seconds));
  PERFORM pg_notify('dispatch_queue', NEW.server);
  RETURN NULL;
END;
$$;

CREATE TRIGGER calls_retry AFTER UPDATE OF status ON calls
  FOR EACH ROW
  WHEN (OLD.status NOT IN ('queued', 'completed', 'failed', 'busy', 'no_answer', 'canceled')
        AND NEW.status IN ('completed', 'failed', 'busy', 'no_answer', 'canceled')
        AND NEW.attempt_number < NEW.retry_max_attempts
        AND NEW.status = ANY (NEW.retry_on))
  EXECUTE FUNCTION calls_schedule_retry();
