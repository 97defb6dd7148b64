-- Purpose: remove a run's scores before they are (re)computed, so a re-run never doubles them.
-- Grain:   all rows of one run. Parameters: $run_id.
-- Personal data: none.
DELETE FROM household_scores WHERE run_id = $run_id;
