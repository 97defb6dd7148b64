-- Purpose: the signals that count toward a list in a run, with their household: the only
--          signals the BRP is asked about (data minimisation, scoring/brp.py).
-- Grain:   one row per counted signal of the run.
-- Inputs:  household_scores. Parameters: $run_id.
-- Personal data: none (pseudonyms).
SELECT huishouden_pseudoniem, unnest(signaal_pseudoniemen) AS signaal_pseudoniem
FROM household_scores
WHERE run_id = $run_id
ORDER BY huishouden_pseudoniem, signaal_pseudoniem;
