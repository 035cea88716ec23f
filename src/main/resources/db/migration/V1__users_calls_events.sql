-- Users who may obtain tokens. Passwords are stored as bcrypt hashes only.
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text        NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
  password_hash text        NOT NULL,
  role          text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  disabled      boolean     NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per outbound call attempt. The status column only moves forward; see call_events.
CREATE TABLE calls (
  id                uuid        PRIMARY KEY,
  owner             text        NOT NULL REFERENCES users (username),
  phone_number      text        NOT NULL,
  status            text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'dialing', 'ringing', 'answered',
                                      'completed', 'failed', 'busy', 'no_answer', 'canceled')),
  context           text        NOT NULL,
  extension         text        NOT NULL,
  priority          integer     NOT NULL CHECK (priority >= 1),
  timeout_ms        integer     NOT NULL CHECK (timeout_ms > 0 AND timeout_ms <= 600000),
  caller_id         text,
  variables         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  channel_id        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  dialed_at         timestamptz,
  ringing_at        timestamptz,
  answered_at       timestamptz,
  ended_at          timestamptz,
  duration_seconds  integer     CHECK (duration_seconds >= 0),
  failure_reason    text,
  hangup_cause      integer,
  hangup_cause_text text,
  attempt_number    integer     NOT NULL DEFAULT 1 CHECK (attempt_number >= 1),
  idempotency_key   text,
  request_hash      text,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT calls_idempotency_key_per_owner UNIQUE (owner, idempotency_key)
);

-- A user's calls, newest first (list endpoint, keyset pagination on created_at, id).
CREATE INDEX calls_owner_created_idx ON calls (owner, created_at DESC, id DESC);
-- All calls newest first (admin listing).
CREATE INDEX calls_created_idx ON calls (created_at DESC, id DESC);
-- Calls still in progress: what reconciliation and health look at. Small by construction.
CREATE INDEX calls_active_idx ON calls (status) WHERE status IN ('pending', 'dialing', 'ringing', 'answered');

-- Timeline of accepted state transitions, one row each.
CREATE TABLE call_events (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id     uuid        NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  from_status text,
  to_status   text        NOT NULL,
  source      text        NOT NULL,
  at          timestamptz NOT NULL
);

CREATE INDEX call_events_call_idx ON call_events (call_id, id);
