-- Purpose: key rotation: remove the signals' rows under their old pseudonyms (after
--          rekey_signals_insert added them under the new ones, in the same transaction).
-- Grain:   one row per signal in rekey.
-- Inputs:  signals, rekey.
-- Personal data: none (pseudonyms only).
DELETE FROM signals
WHERE signaal_pseudoniem IN (SELECT oud_signaal FROM rekey);
