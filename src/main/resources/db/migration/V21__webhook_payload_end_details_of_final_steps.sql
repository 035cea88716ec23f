-- A status_changed payload names the call's failure reason, hangup cause and duration only for a final status.
--
-- The payload is built from the call's row after the statement that logged the event. A statement may store several
-- steps of one call (a chain: ringing, answered and completed observed while the call's previous write was in
-- flight), so for the steps before the last the row already holds what only the final step set. These three are
-- set only by final transitions (a call in progress has none of them), so the payload of a step in progress leaves
-- them out whatever the row holds; the channel is set by a chain's first step only, so every step's row has it right.
CREATE OR REPLACE FUNCTION webhook_enqueue_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  -- Nobody can want these events: no call among them has a status callback (as their statements noted; NULL when
  -- a statement did not say) and no owner anywhere has an enabled endpoint.
  IF NOT EXISTS (SELECT 1 FROM new_events WHERE callback IS NOT FALSE)
     AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled) THEN
    RETURN NULL;
  END IF;
  WITH subscribed AS (
    SELECT ev.id AS event_id, ev.from_status, ev.to_status, ev.at, c.id AS call_id, c.owner, c.phone_number,
           c.channel_id, c.failure_reason, c.hangup_cause, c.duration_seconds, c.status_callback,
           c.status_callback_events,
           ev.to_status IN ('completed', 'failed', 'busy', 'no_answer', 'canceled') AS final
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
        'failure_reason', CASE WHEN s.final THEN s.failure_reason END,
        'hangup_cause', CASE WHEN s.final THEN s.hangup_cause END,
        'duration', CASE WHEN s.final THEN s.duration_seconds END,
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
