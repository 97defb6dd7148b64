-- Purpose: the ranks of a crisis run's list: the bezoeklijst first, crisis households on top
--          as in the monthly run (the earlier ones first, then those added, by their score),
--          and every earlier line in its earlier order.
-- Parameters: $run_id, $wijkteam, $toegevoegd (pseudonyms added).
-- Personal data: none.
UPDATE household_scores AS h
SET rang = r.nieuw
FROM (
    SELECT huishouden_pseudoniem,
           row_number() OVER (
               ORDER BY sectie = 'wachtlijst', NOT crisis,
                        list_contains($toegevoegd, huishouden_pseudoniem), rang,
                        huishouden_pseudoniem)::INTEGER AS nieuw
    FROM household_scores
    WHERE run_id = $run_id AND wijkteam = $wijkteam AND sectie IS NOT NULL
) AS r
WHERE h.run_id = $run_id AND h.wijkteam = $wijkteam
  AND h.huishouden_pseudoniem = r.huishouden_pseudoniem;
