-- Purpose: forget the load record of lists that are no longer configured (their entries are
--          removed by delete_expired.sql).
-- Grain:   one row per list. Inputs: exclusion_lists; configured_lists (lijst).
-- Personal data: none.
DELETE FROM exclusion_lists WHERE lijst NOT IN (SELECT lijst FROM configured_lists);
