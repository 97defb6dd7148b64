-- Purpose: the partner of each signal, by pseudonym: key rotation rebuilds a signal's pseudonym
--          from partner + signaal_id, and vault records sealed before the partner was kept in the
--          vault take it from here.
-- Grain:   one row per signal. Inputs: signals.
-- Personal data: none (pseudonyms and partner ids).
SELECT signaal_pseudoniem, partner_id
FROM signals;
