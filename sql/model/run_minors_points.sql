-- Purpose: how many households of a run got points for minors in the household (the BRP's
--          minors fact with the municipality's minors rule on), for the run's counts.
-- Grain:   one row. Parameters: $run_id.
-- Inputs:  household_scores.
-- Personal data: none (a count).
SELECT count(*) FILTER (WHERE punten_minderjarigen > 0)::INTEGER
FROM household_scores
WHERE run_id = $run_id;
