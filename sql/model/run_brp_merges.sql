-- Purpose: the households of a run that the BRP's address object merged (scoring/brp.py): for
--          the run's counts and the audit trail.
-- Grain:   one row per household that took in other address-keyed households.
-- Inputs:  household_scores. Parameters: $run_id.
-- Personal data: none (pseudonyms and counts).
SELECT huishouden_pseudoniem, samengevoegd
FROM household_scores
WHERE run_id = $run_id AND samengevoegd > 0
ORDER BY huishouden_pseudoniem;
