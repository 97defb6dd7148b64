-- Purpose: retention: what the BRP said for a run goes with the run's scores (a run without
--          scores left has no use for its BRP facts).
-- Grain:   the BRP facts of runs without household scores.
-- Inputs:  brp_facts, household_scores.
-- Personal data: none (pseudonyms only).
DELETE FROM brp_facts
WHERE run_id NOT IN (SELECT DISTINCT run_id FROM household_scores);
