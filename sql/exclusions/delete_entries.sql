-- Purpose: drop the entries of one exclusion list before its new version is inserted (a list is
--          always supplied whole, so a person taken off the list is no longer excluded).
-- Grain:   all entries of one list. Parameters: $lijst.
-- Personal data: none.
DELETE FROM exclusion_entries WHERE lijst = $lijst;
