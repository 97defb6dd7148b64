-- Purpose: per wijkteam, how many households are on the bezoeklijst and the wachtlijst, and the
--          team's capacity use (for the run summary and the what-if comparison).
-- Grain:   one row per team with households in the run. Parameters: $run_id.
-- Personal data: none.
SELECT
    wijkteam,
    count(*) FILTER (WHERE sectie = 'bezoeklijst')             AS bezoeklijst,
    count(*) FILTER (WHERE sectie = 'wachtlijst')              AS wachtlijst,
    count(*) FILTER (WHERE sectie IS NOT NULL AND crisis)      AS crisis
FROM household_scores
WHERE run_id = $run_id
GROUP BY wijkteam
ORDER BY wijkteam;
