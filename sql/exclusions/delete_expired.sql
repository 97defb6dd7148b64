-- Purpose: data minimisation: drop exclusion entries that can no longer apply: past their
--          geldig_tot, past their list's term (valid_months after their date), or of a list that
--          is no longer configured.
-- Grain:   one row per entry removed. Inputs: exclusion_entries; configured_lists (lijst,
--          geldig_maanden) registered from the configuration. Parameters: $vandaag.
-- Personal data: none in clear (pseudonyms).
DELETE FROM exclusion_entries AS e
WHERE e.lijst NOT IN (SELECT lijst FROM configured_lists)
   OR e.geldig_tot < $vandaag
   OR EXISTS (
        SELECT 1 FROM configured_lists AS c
        WHERE c.lijst = e.lijst AND c.geldig_maanden IS NOT NULL AND e.datum IS NOT NULL
          AND e.datum + to_months(c.geldig_maanden) <= $vandaag);
