-- PostgreSQL CPU per call (issue 15): the per-owner idempotency index holds only calls that have a key.
--
-- Calls created without an idempotency key (almost all) need no entry in the per-owner key index: one index
-- entry fewer per creation and per final transition (which is not a HOT update). The index keeps its name;
-- ON CONFLICT names its predicate to use it.
ALTER TABLE calls DROP CONSTRAINT calls_idempotency_key_per_owner;
CREATE UNIQUE INDEX calls_idempotency_key_per_owner ON calls (owner, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
