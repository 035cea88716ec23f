-- Per-user call limits set by an admin; NULL means the service's configured default.
ALTER TABLE users
  ADD COLUMN max_calls_per_second integer CHECK (max_calls_per_second >= 0),
  ADD COLUMN max_concurrent_calls integer CHECK (max_concurrent_calls >= 0),
  ADD COLUMN max_calls_per_day    integer CHECK (max_calls_per_day >= 0);
