-- Purpose: floor of "validate", second half: one quarantine row per failing (row, rule), like
--          the quarantine entries quality.validate makes from GX's failing row numbers.
-- Grain:   one row per failed rule of a bad row. Inputs: checked (one boolean column per rule,
--          named r_<reason>__<column>, true when the row breaks the rule).
-- Personal data: none (row numbers and rule names only).
CREATE TABLE quarantine AS
SELECT bron_rij, regel
FROM (UNPIVOT (SELECT bron_rij, COLUMNS('^r_') FROM checked) ON COLUMNS('^r_') INTO NAME regel VALUE faalt)
WHERE faalt;
