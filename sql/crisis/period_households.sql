-- Purpose: every household with a crisis signal in a period, whichever delivery brought it: the
--          crisis lane scores these (and no others) with model/household_scores.sql, so a
--          household a failed crisis run did not publish is found by the next one.
-- Grain:   one row per household. Parameters: $begin, $einde (exclusive).
-- Personal data: none (pseudonyms).
SELECT DISTINCT huishouden_pseudoniem
FROM signals
WHERE crisis AND signaaldatum >= $begin AND signaaldatum < $einde
ORDER BY huishouden_pseudoniem;
