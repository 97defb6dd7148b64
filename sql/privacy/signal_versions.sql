-- Purpose: how many signals each key version holds (key rotation's before/after check).
-- Grain:   one row per key version.
-- Inputs:  signals.
-- Personal data: none.
SELECT sleutelversie, count(*) AS signalen, count(DISTINCT huishouden_pseudoniem) AS huishoudens
FROM signals
GROUP BY sleutelversie
ORDER BY sleutelversie;
