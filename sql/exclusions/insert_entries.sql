-- Purpose: add the pseudonymised entries of one exclusion list.
-- Grain:   one row per entry. Inputs: staging (lijst, sleutelsoort, pseudoniem, sleutelversie,
--          datum, geldig_tot), registered by scoring.exclusions.
-- Personal data: none in clear (pseudonyms).
INSERT INTO exclusion_entries BY NAME
SELECT lijst, sleutelsoort, pseudoniem, sleutelversie, datum, geldig_tot
FROM staging;
