-- Purpose: key rotation: point what the BRP said about signals at their new pseudonyms.
-- Grain:   one row per BRP fact of a signal in rekey.
-- Inputs:  brp_facts, rekey.
-- Personal data: none (pseudonyms only).
UPDATE brp_facts AS b
SET signaal_pseudoniem = r.nieuw_signaal
FROM rekey AS r
WHERE b.signaal_pseudoniem = r.oud_signaal;
