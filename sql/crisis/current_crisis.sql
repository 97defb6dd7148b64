-- Purpose: the crisis households on a team's current list (as the run that published it scored
--          them): the crisis lane does not add them again.
-- Grain:   one row per household. Parameters: $vorige_run, $wijkteam.
-- Personal data: none (pseudonyms).
SELECT huishouden_pseudoniem
FROM household_scores
WHERE run_id = $vorige_run AND wijkteam = $wijkteam AND sectie IS NOT NULL AND crisis;
