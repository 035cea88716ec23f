-- calls_admit reads a user's unfolded usage changes through their username index, never by a sequential or bitmap
-- scan. Every fold deletes the user's changes, so between autovacuum runs the table is mostly dead rows: a
-- sequential scan visits all of them on every admission (and one user creating many calls at once reads them
-- while another admission holds the counters), whereas a plain index scan marks a dead row's index entry once
-- and skips it afterwards. Bitmap scans set no such marks, hence both settings. Only this function's plans change.
ALTER FUNCTION calls_admit(text, integer, integer) SET enable_seqscan = off;
ALTER FUNCTION calls_admit(text, integer, integer) SET enable_bitmapscan = off;
