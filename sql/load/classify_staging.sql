-- Purpose: count how the rows of a delivery relate to what the warehouse already holds.
-- Grain:   one row of three counts for the staged delivery.
-- Inputs:  staging (the delivery's pseudonymised facts, registered by scoring.warehouse), signals.
-- Personal data: none.
SELECT
    count(*) FILTER (WHERE t.signaal_pseudoniem IS NULL)                                   AS nieuw,
    count(*) FILTER (WHERE t.signaal_pseudoniem IS NOT NULL
                       AND (t.bedrag_cent <> s.bedrag_cent OR t.crisis <> s.crisis))        AS bijgewerkt,
    count(*) FILTER (WHERE t.signaal_pseudoniem IS NOT NULL
                       AND t.bedrag_cent = s.bedrag_cent AND t.crisis = s.crisis)           AS dubbel
FROM staging AS s
LEFT JOIN signals AS t USING (signaal_pseudoniem);
