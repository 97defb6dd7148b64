-- Purpose: the households the crisis run's scoring puts on a list as crisis households (their
--          counted signals include a crisis signal; not excluded, not a repeat), per team.
-- Grain:   one row per household. Parameters: $run_id.
-- Personal data: none (pseudonyms).
SELECT wijkteam, huishouden_pseudoniem
FROM household_scores
WHERE run_id = $run_id AND crisis AND sectie IS NOT NULL
ORDER BY wijkteam, rang;
