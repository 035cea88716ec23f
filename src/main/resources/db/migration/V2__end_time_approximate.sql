-- True when a call's end was not observed (its events were lost): ended_at is then the last moment the call was
-- known alive, a lower bound, and duration_seconds is bounded by it.
ALTER TABLE calls ADD COLUMN end_time_approximate boolean NOT NULL DEFAULT false;
