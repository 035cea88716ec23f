-- PostgreSQL CPU per transition (issue 15): the fencing trigger function called once per batch, not per row.

-- Fencing (V6, V11): once a transaction has checked a server's epoch, its later rows skip the trigger function
-- in the WHEN clause (an expression, no PL/pgSQL call): a batch of transitions calls it once, not once per row.
DROP TRIGGER calls_fence_owner_epoch ON calls;
CREATE TRIGGER calls_fence_owner_epoch
  BEFORE INSERT OR UPDATE ON calls
  FOR EACH ROW
  WHEN (NEW.owner_epoch IS NOT NULL
        AND current_setting('contactcenter.fenced_epoch', true) IS DISTINCT FROM NEW.server || ':' || NEW.owner_epoch)
  EXECUTE FUNCTION calls_refuse_stale_epoch();
