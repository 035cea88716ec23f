-- Several Asterisk servers, each owned by exactly one node at a time (issue 11).

-- The server a call runs on. Rows from before several servers existed ran on the one ARI_* server, "default".
ALTER TABLE calls ADD COLUMN server text NOT NULL DEFAULT 'default';
-- The ownership epoch the last state write for this call carried (NULL: written by no owner, e.g. at creation).
ALTER TABLE calls ADD COLUMN owner_epoch bigint;

-- A server's calls still in progress: what its new owner reconciles on takeover.
CREATE INDEX calls_server_active_idx ON calls (server)
  WHERE status IN ('pending', 'dialing', 'ringing', 'answered');

-- One row per server ever owned. Ownership itself is a PostgreSQL session advisory lock on
-- (ownership_lock_class(), lock_id), held on a dedicated connection: it ends when that connection ends.
-- The row says who took it last and when; epoch grows by one at every acquisition.
CREATE TABLE asterisk_server_owners (
  server       text        PRIMARY KEY CHECK (server ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  lock_id      integer     GENERATED ALWAYS AS IDENTITY UNIQUE,
  owner_node   text,
  epoch        bigint      NOT NULL DEFAULT 0 CHECK (epoch >= 0),
  acquired_at  timestamptz,
  heartbeat_at timestamptz
);

-- First key of every ownership advisory lock, so that they never collide with another use of advisory locks.
CREATE FUNCTION ownership_lock_class() RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$ SELECT 1131565891 $$;  -- 'CCOC' as an int

-- Fencing: true when (server, epoch) is the server's current ownership. For WHERE clauses of owner writes.
CREATE FUNCTION server_epoch_is_current(p_server text, p_epoch bigint) RETURNS boolean
  LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM asterisk_server_owners WHERE server = p_server AND epoch = p_epoch)
  $$;

-- Fencing in the database: a call row written with an owner_epoch must carry its server's current epoch, or the
-- write is refused (SQLSTATE CCF01). FOR SHARE makes an epoch bump wait for writes already checked and makes
-- writes that follow it see the new epoch, so no write of an older epoch commits after a takeover has.
CREATE FUNCTION calls_refuse_stale_epoch() RETURNS trigger
  LANGUAGE plpgsql AS $$
  DECLARE
    current_epoch bigint;
  BEGIN
    IF NEW.owner_epoch IS NULL THEN
      RETURN NEW;
    END IF;
    SELECT epoch INTO current_epoch FROM asterisk_server_owners WHERE server = NEW.server FOR SHARE;
    IF current_epoch IS NULL OR current_epoch <> NEW.owner_epoch THEN
      RAISE EXCEPTION 'stale ownership of server %: epoch % is not the current %', NEW.server, NEW.owner_epoch,
        coalesce(current_epoch::text, 'none')
        USING ERRCODE = 'CCF01';
    END IF;
    RETURN NEW;
  END
  $$;

CREATE TRIGGER calls_fence_owner_epoch
  BEFORE INSERT OR UPDATE ON calls
  FOR EACH ROW EXECUTE FUNCTION calls_refuse_stale_epoch();

-- Which servers have a connected owner right now, from the lock table itself (a row's owner_node stays set
-- after its owner died; the advisory lock does not): what the server chooser must read before placing a call.
CREATE VIEW asterisk_server_status AS
  SELECT o.server, o.owner_node, o.epoch, o.acquired_at, o.heartbeat_at,
         EXISTS (SELECT 1 FROM pg_locks l
                  WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND l.classid = ownership_lock_class()::oid AND l.objid = o.lock_id::oid) AS owned
    FROM asterisk_server_owners o;
