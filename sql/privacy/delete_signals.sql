-- Purpose: retention and erasure: destroy the signals past their term (or of an erased person).
-- Grain:   one row per doomed signal.
-- Inputs:  signals; doomed (signaal_pseudoniem).
-- Personal data: none (pseudonyms only).
DELETE FROM signals
WHERE signaal_pseudoniem IN (SELECT signaal_pseudoniem FROM doomed);
