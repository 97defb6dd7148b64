-- Purpose: how many signals the warehouse holds with a signaaldatum in the period, so that a run
--          for a month without any is refused before it registers or publishes anything.
-- Grain:   one row, one count. Parameters: $begin (first day), $einde (first day after).
-- Personal data: none (a count).
SELECT count(*) AS signalen
FROM signals
WHERE signaaldatum >= $begin AND signaaldatum < $einde;
