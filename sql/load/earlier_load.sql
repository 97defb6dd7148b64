-- Purpose: a load of the same file that committed while its delivery was never finished in the
--          operational database (the process died in between).
-- Grain:   at most one row: the newest load of the file.
-- Inputs:  loads. Parameters: $sha256.
-- Personal data: none.
SELECT levering_id, nieuw, bijgewerkt, dubbel
FROM loads
WHERE sha256 = $sha256
ORDER BY geladen_op DESC
LIMIT 1;
