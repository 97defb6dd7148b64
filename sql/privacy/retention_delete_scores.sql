-- Purpose: retention: destroy the household scores of expired runs, and the scores of unlisted
--          households that have no signal left (their signals' term has passed).
-- Grain:   one row per (run, household) destroyed.
-- Inputs:  household_scores, signals; expired_runs (run_id).
-- Personal data: none (pseudonyms only).
DELETE FROM household_scores
WHERE run_id IN (SELECT run_id FROM expired_runs)
   OR (NOT op_lijst AND huishouden_pseudoniem NOT IN (SELECT huishouden_pseudoniem FROM signals));
