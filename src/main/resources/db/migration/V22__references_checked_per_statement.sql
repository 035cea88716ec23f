-- The references of calls to users and of call_events to calls are checked once per statement instead of once per
-- row (issue 15). A foreign key checks each inserted row with its own query, which takes a KEY SHARE lock on the row
-- it references: four per call on the call's own row (one per timeline row), and one per call on its owner's row,
-- which the creation statements in flight at once all lock, so PostgreSQL records those locks in multixacts. Measured
-- (bench/db-cost.sh answered, 20 creations and 20 transitions per statement, 8 users): the schema before this
-- migration 1.05x its PostgreSQL CPU per call (median of five runs); the two keys dropped without any check 0.90x.
--
-- What the keys guaranteed still holds:
-- * A call's owner exists when it is inserted (the statement's owners are looked up together), and a user who owns
--   calls can be neither deleted nor renamed: the trigger on users takes a SHARE lock on calls first, so it waits
--   for every transaction writing calls and sees their calls. Users are only ever disabled by the service.
-- * A timeline row's call exists when it is inserted. Every statement that writes call_events inserts the rows of
--   calls it updates itself, so it holds their row locks until its commit and nobody can delete them meanwhile.
-- * Deleting calls deletes their timeline (the key was ON DELETE CASCADE), in one statement per statement.

ALTER TABLE call_events DROP CONSTRAINT call_events_call_id_fkey;
ALTER TABLE calls DROP CONSTRAINT calls_owner_fkey;

-- V20's function, with the owners' check first.
CREATE OR REPLACE FUNCTION calls_usage_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  SELECT i.owner INTO missing FROM (SELECT DISTINCT owner FROM inserted_calls) i
  WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = i.owner) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "calls" violates its foreign key to users: user "%" does not exist', missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  INSERT INTO user_usage_changes (username, active_delta, created_minute, created_calls)
  SELECT owner, count(*) FILTER (WHERE status IN ('pending', 'dialing', 'ringing', 'answered')),
         date_trunc('minute', created_at), count(*)
  FROM inserted_calls GROUP BY owner, date_trunc('minute', created_at);
  RETURN NULL;
END;
$$;

CREATE FUNCTION users_keep_call_owners() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.username = OLD.username THEN
    RETURN NEW;
  END IF;
  LOCK TABLE calls IN SHARE MODE;
  IF EXISTS (SELECT 1 FROM calls WHERE owner = OLD.username) THEN
    RAISE EXCEPTION 'user "%" owns calls: it can be disabled, not deleted or renamed', OLD.username
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  -- A BEFORE trigger's result is the row to write: the new one for a rename, the old one to let a delete go on.
  IF TG_OP = 'UPDATE' THEN
    RETURN NEW;
  END IF;
  RETURN OLD;
END;
$$;

CREATE TRIGGER users_keep_call_owners BEFORE DELETE OR UPDATE OF username ON users
  FOR EACH ROW EXECUTE FUNCTION users_keep_call_owners();

CREATE FUNCTION call_events_calls_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing uuid;
BEGIN
  SELECT e.call_id INTO missing FROM inserted_events e
  WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = e.call_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "call_events" violates its foreign key to calls: call % does not exist', missing
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER call_events_calls_exist AFTER INSERT ON call_events REFERENCING NEW TABLE AS inserted_events
  FOR EACH STATEMENT EXECUTE FUNCTION call_events_calls_exist();

-- Calls deleted or truncated take their timeline with them (TRUNCATE skips delete triggers).
CREATE FUNCTION calls_remove_timeline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE call_events;
  ELSE
    DELETE FROM call_events WHERE call_id IN (SELECT id FROM deleted_calls);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER calls_delete_timeline AFTER DELETE ON calls REFERENCING OLD TABLE AS deleted_calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_remove_timeline();

CREATE TRIGGER calls_truncate_timeline AFTER TRUNCATE ON calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_remove_timeline();
