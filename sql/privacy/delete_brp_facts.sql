-- Purpose: retention and erasure: destroy what the BRP said about the signals being destroyed.
-- Grain:   one row per BRP fact of a doomed signal.
-- Inputs:  brp_facts; doomed (signaal_pseudoniem) registered by governance/retention_run.py or
--          governance/erasure.py.
-- Personal data: none (pseudonyms only).
DELETE FROM brp_facts
WHERE signaal_pseudoniem IN (SELECT signaal_pseudoniem FROM doomed);
