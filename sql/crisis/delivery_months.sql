-- Purpose: the months of a delivery's crisis signals: which periods' lists the crisis lane
--          (flows/crisis.py) may have to add to. A re-sent signal that became a crisis signal
--          carries the delivery that changed it (load/update_signals.sql).
-- Grain:   one row per month (YYYY-MM). Parameters: $levering_id.
-- Personal data: none.
SELECT DISTINCT strftime(signaaldatum, '%Y-%m') AS maand
FROM signals
WHERE levering_id = $levering_id AND crisis
ORDER BY maand;
