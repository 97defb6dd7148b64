-- Purpose: what the BRP changed in a run, by reason, for the run's counts.
-- Grain:   one row per reason (NULL reasons left out).
-- Inputs:  brp_facts. Parameters: $run_id.
-- Personal data: none (counts).
SELECT reden, count(*)::INTEGER AS signalen
FROM brp_facts
WHERE run_id = $run_id AND reden IS NOT NULL
GROUP BY reden
ORDER BY reden;
