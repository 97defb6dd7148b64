-- Purpose: a crisis run keeps, of a team's scored households, only those it adds to the list:
--          one already on the team's current list as a crisis household stays on it as it is
--          (copied by crisis/copy_current.sql), so it is listed once.
-- Parameters: $run_id, $wijkteam, $toegevoegd (pseudonyms added).
-- Personal data: none.
DELETE FROM household_scores
WHERE run_id = $run_id AND wijkteam = $wijkteam AND sectie IS NOT NULL
  AND NOT list_contains($toegevoegd, huishouden_pseudoniem);
