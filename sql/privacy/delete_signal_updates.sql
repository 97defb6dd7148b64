-- Purpose: retention and erasure: destroy the change history of the signals being destroyed.
-- Grain:   one row per change of a doomed signal.
-- Inputs:  signal_updates; doomed (signaal_pseudoniem) registered by privacy/retention.py or
--          privacy/erasure.py.
-- Personal data: none (pseudonyms only).
DELETE FROM signal_updates
WHERE signaal_pseudoniem IN (SELECT signaal_pseudoniem FROM doomed);
