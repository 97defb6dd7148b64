-- Purpose: key rotation: point the history of changed signals at their new pseudonyms.
-- Grain:   one row per change of a signal in rekey.
-- Inputs:  signal_updates, rekey.
-- Personal data: none (pseudonyms only).
UPDATE signal_updates AS u
SET signaal_pseudoniem = r.nieuw_signaal
FROM rekey AS r
WHERE u.signaal_pseudoniem = r.oud_signaal;
