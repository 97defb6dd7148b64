-- Purpose: the households on a crisis run's list of a team, to check that every line of the
--          current list is on it before it is published.
-- Grain:   one row per household. Parameters: $run_id, $wijkteam.
-- Personal data: none (pseudonyms).
SELECT huishouden_pseudoniem
FROM household_scores
WHERE run_id = $run_id AND wijkteam = $wijkteam AND sectie IS NOT NULL;
