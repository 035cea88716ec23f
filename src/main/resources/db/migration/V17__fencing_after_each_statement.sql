-- Fencing (V6, V11, V12) checked once after each statement that writes calls, instead of before each row.
--
-- A BEFORE UPDATE row trigger makes PostgreSQL fetch the old row again, and lock it, before the trigger's WHEN is
-- even evaluated: with no epoch to check at all, it cost 30-50 us of PostgreSQL CPU per single transition (about a
-- tenth of one). A statement-level AFTER trigger looks at the statement's written rows once, takes FOR SHARE on the
-- ownership row of each server they were written under (in server order), and refuses the whole statement when an
-- epoch is not the current one. The guarantee is V6's: the FOR SHARE lock is held until the commit, so a takeover's
-- epoch bump either committed before the check (the write is refused) or waits for the writer's commit.
DROP TRIGGER calls_fence_owner_epoch ON calls;
DROP TRIGGER asterisk_server_owners_forget_fencing ON asterisk_server_owners;
DROP FUNCTION asterisk_server_owners_forget_fencing();
DROP FUNCTION calls_refuse_stale_epoch();

CREATE FUNCTION calls_refuse_stale_epochs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  written record;
  current_epoch bigint;
BEGIN
  FOR written IN
    SELECT DISTINCT server, owner_epoch FROM written_calls WHERE owner_epoch IS NOT NULL ORDER BY server, owner_epoch
  LOOP
    SELECT epoch INTO current_epoch FROM asterisk_server_owners WHERE server = written.server FOR SHARE;
    IF current_epoch IS NULL OR current_epoch <> written.owner_epoch THEN
      RAISE EXCEPTION 'stale ownership of server %: epoch % is not the current %', written.server,
        written.owner_epoch, coalesce(current_epoch::text, 'none')
        USING ERRCODE = 'CCF01';
    END IF;
  END LOOP;
  RETURN NULL;
END;
$$;

CREATE TRIGGER calls_fence_owner_epoch_insert AFTER INSERT ON calls
  REFERENCING NEW TABLE AS written_calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_refuse_stale_epochs();

CREATE TRIGGER calls_fence_owner_epoch_update AFTER UPDATE ON calls
  REFERENCING NEW TABLE AS written_calls
  FOR EACH STATEMENT EXECUTE FUNCTION calls_refuse_stale_epochs();
