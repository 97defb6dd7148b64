-- Purpose: the counts a run reports: households matched, listed, and crisis households.
-- Grain:   one row for the run. Parameters: $run_id.
-- Personal data: none.
SELECT
    count(*)                               AS huishoudens,
    count(*) FILTER (WHERE op_lijst)       AS op_lijst,
    count(*) FILTER (WHERE crisis)         AS crisis,
    coalesce(sum(signalen), 0)::INTEGER    AS signalen
FROM household_scores
WHERE run_id = $run_id;
