-- Purpose: the lines of the team's current list, as the run that published it scored them,
--          into the crisis run: the new version holds every earlier line unchanged (points,
--          section, counted signals) plus the crisis households added. A household added
--          again (it was on the list without its crisis signal) takes its new line instead.
-- Parameters: $run_id (the crisis run), $vorige_run (the current list's run), $wijkteam,
--          $toegevoegd (pseudonyms added).
-- Personal data: none (pseudonyms).
INSERT INTO household_scores BY NAME
SELECT * REPLACE ($run_id AS run_id)
FROM household_scores
WHERE run_id = $vorige_run AND wijkteam = $wijkteam AND sectie IS NOT NULL
  AND NOT list_contains($toegevoegd, huishouden_pseudoniem);
