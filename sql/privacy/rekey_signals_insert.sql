-- Purpose: key rotation: add every signal again under its new pseudonyms (signal, household,
--          person) and key version; rekey_signals_delete then removes the old rows. Every other
--          column is copied as it is (BY NAME, so columns added later are carried along).
-- Grain:   one row per signal in rekey.
-- Inputs:  signals; rekey (oud_signaal, nieuw_signaal, nieuw_huishouden, nieuw_persoon),
--          registered from the vault's rotation map. Parameters: $versie (the new key version).
-- Personal data: none (pseudonyms only).
INSERT INTO signals BY NAME
SELECT s.* REPLACE (
    r.nieuw_signaal    AS signaal_pseudoniem,
    r.nieuw_huishouden AS huishouden_pseudoniem,
    r.nieuw_persoon    AS persoon_pseudoniem,
    $versie            AS sleutelversie
)
FROM signals AS s
JOIN rekey AS r ON r.oud_signaal = s.signaal_pseudoniem;
