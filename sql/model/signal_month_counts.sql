-- Purpose: signals per month and partner type, for the data officers' chart in the portal.
-- Grain:   one row per calendar month of signaaldatum and partner type. No parameters.
-- Inputs:  signals.
-- Personal data: none (counts only).
SELECT
    strftime(signaaldatum, '%Y-%m')  AS maand,
    partner_type,
    count(*)::INTEGER                AS signalen
FROM signals
GROUP BY ALL
ORDER BY maand, partner_type;
