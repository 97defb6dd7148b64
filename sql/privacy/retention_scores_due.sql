-- Purpose: retention: count the household scores past their term (see retention_delete_scores).
-- Grain:   one row: the number of score rows to destroy.
-- Inputs:  household_scores, signals; expired_runs (run_id) registered from the operational
--          database: published runs past the published-lists term, other runs past the term of
--          unpublished signals.
-- Personal data: none.
SELECT count(*)
FROM household_scores AS h
WHERE h.run_id IN (SELECT run_id FROM expired_runs)
   OR (NOT h.op_lijst AND h.huishouden_pseudoniem NOT IN (SELECT huishouden_pseudoniem FROM signals));
