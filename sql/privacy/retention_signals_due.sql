-- Purpose: retention: the signals past their term. A signal of a household that was on a
--          published visit list is kept for the published-lists term, any other signal for the
--          (shorter) term of signals never published; both counted from the signal's last load.
-- Grain:   one row per signal to destroy.
-- Inputs:  signals, household_scores; published_runs (run_id) registered from the operational
--          database. Parameters: $grens_gepubliceerd, $grens_niet_gepubliceerd (timestamps).
-- Personal data: none (pseudonyms only).
WITH published AS (
    SELECT DISTINCT h.huishouden_pseudoniem
    FROM household_scores AS h
    JOIN published_runs AS r USING (run_id)
    WHERE h.op_lijst
)

SELECT s.signaal_pseudoniem, s.huishouden_pseudoniem, s.persoon_pseudoniem
FROM signals AS s
LEFT JOIN published AS p USING (huishouden_pseudoniem)
WHERE (p.huishouden_pseudoniem IS NOT NULL AND s.geladen_op < $grens_gepubliceerd)
   OR (p.huishouden_pseudoniem IS NULL AND s.geladen_op < $grens_niet_gepubliceerd)
ORDER BY s.signaal_pseudoniem;
