-- Status webhooks: subscriptions, signing secrets and an outbox of deliveries written by a trigger in the same
-- statement as the accepted transition (call_events row), so a status is never stored without its deliveries and
-- nothing is sent for a change that rolled back.

-- Per-call callback (create body: status_callback, status_callback_events; NULL events = the final statuses).
ALTER TABLE calls ADD COLUMN status_callback text;
ALTER TABLE calls ADD COLUMN status_callback_events text[];

-- A user's signing secret for their per-call callbacks; created on first use. previous_secret still signs until
-- previous_expires_at (rotation overlap).
CREATE TABLE webhook_user_secrets (
  owner               text        PRIMARY KEY REFERENCES users (username),
  secret              text        NOT NULL,
  previous_secret     text,
  previous_expires_at timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);

-- Per-user endpoints: every matching status of every call of the owner.
CREATE TABLE webhook_endpoints (
  id                  uuid        PRIMARY KEY,
  owner               text        NOT NULL REFERENCES users (username),
  url                 text        NOT NULL,
  events              text[]      NOT NULL,
  enabled             boolean     NOT NULL DEFAULT true,
  description         text,
  disabled_reason     text,
  secret              text        NOT NULL,
  previous_secret     text,
  previous_expires_at timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (owner) WHERE enabled;

-- The outbox. One row per (event, subscription); ordered per stream (an endpoint id, or 'callback' for the
-- call's own status_callback) and call by id. next_attempt_at doubles as the lease of a claimed delivery.
CREATE TABLE webhook_deliveries (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id       text        NOT NULL UNIQUE,
  endpoint_id      uuid        REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  stream           text        NOT NULL,
  owner            text        NOT NULL,
  call_id          uuid        NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  event_id         bigint      NOT NULL,
  url              text        NOT NULL,
  payload          jsonb       NOT NULL,
  state            text        NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'delivered', 'dead', 'canceled')),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  age_from         timestamptz NOT NULL DEFAULT now(),
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  last_status_code integer,
  last_error       text
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_stream_idx ON webhook_deliveries (stream, call_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_call_idx ON webhook_deliveries (call_id, id);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

-- Every attempt of a delivery: the delivery log.
CREATE TABLE webhook_attempts (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id  bigint      NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL DEFAULT now(),
  status_code  integer,
  latency_ms   integer     NOT NULL,
  error        text
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

CREATE FUNCTION webhook_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c calls%ROWTYPE;
  payload jsonb;
  final_statuses CONSTANT text[] := ARRAY['completed', 'failed', 'busy', 'no_answer', 'canceled'];
  enqueued integer := 0;
  n integer;
BEGIN
  SELECT * INTO c FROM calls WHERE id = NEW.call_id;
  -- Most transitions have no subscriber: leave before building a payload.
  IF c.status_callback IS NULL
     AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.owner = c.owner AND e.enabled) THEN
    RETURN NULL;
  END IF;
  payload := jsonb_build_object(
    'type', 'call.status_changed',
    'timestamp', to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'data', jsonb_build_object(
      'call_id', c.id,
      'status', NEW.to_status,
      'previous_status', NEW.from_status,
      'phone_number', c.phone_number,
      'owner', c.owner,
      'channel', c.channel_id,
      'failure_reason', c.failure_reason,
      'hangup_cause', c.hangup_cause,
      'duration', c.duration_seconds,
      'sequence', NEW.id));

  -- A callback that answered 410 is off for the rest of the call.
  IF c.status_callback IS NOT NULL
     AND NEW.to_status = ANY (COALESCE(c.status_callback_events, final_statuses))
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries g
                     WHERE g.call_id = c.id AND g.stream = 'callback' AND g.last_status_code = 410) THEN
    INSERT INTO webhook_deliveries (webhook_id, stream, owner, call_id, event_id, url, payload)
    VALUES ('msg_' || NEW.id || '_callback', 'callback', c.owner, c.id, NEW.id, c.status_callback, payload);
    enqueued := 1;
  END IF;

  INSERT INTO webhook_deliveries (webhook_id, endpoint_id, stream, owner, call_id, event_id, url, payload)
  SELECT 'msg_' || NEW.id || '_' || replace(e.id::text, '-', ''), e.id, e.id::text, e.owner, c.id, NEW.id, e.url, payload
  FROM webhook_endpoints e
  WHERE e.owner = c.owner AND e.enabled AND NEW.to_status = ANY (e.events);
  GET DIAGNOSTICS n = ROW_COUNT;
  IF enqueued + n > 0 THEN
    PERFORM pg_notify('webhook_deliveries', '');
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER call_events_webhooks AFTER INSERT ON call_events
  FOR EACH ROW EXECUTE FUNCTION webhook_enqueue();
