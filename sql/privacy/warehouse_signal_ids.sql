-- Purpose: every signal pseudonym in the warehouse: retention finds vault records whose signal
--          is not (or no longer) in the warehouse.
-- Grain:   one row per signal. Inputs: signals.
-- Personal data: none (pseudonyms only).
SELECT signaal_pseudoniem
FROM signals;
