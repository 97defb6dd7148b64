-- Purpose: add the delivery's new signals to the fact table.
-- Grain:   one row per signal not seen before.
-- Inputs:  staging, signals. Parameters: $levering_id, $nu.
-- Personal data: none (pseudonyms and facts, see schema/01_signals.sql).
INSERT INTO signals (
    signaal_pseudoniem, huishouden_pseudoniem, persoon_pseudoniem, sleutelversie, partner_id,
    partner_type, signaaldatum, ontstaansdatum, bedrag_cent, crisis, wijkteam, leeftijdsgroep,
    levering_id, geladen_op, versie, uiterste_datum)
SELECT
    s.signaal_pseudoniem, s.huishouden_pseudoniem, s.persoon_pseudoniem, s.sleutelversie,
    s.partner_id, s.partner_type, s.signaaldatum, s.ontstaansdatum, s.bedrag_cent, s.crisis,
    s.wijkteam, s.leeftijdsgroep, $levering_id, $nu, 1, s.uiterste_datum
FROM staging AS s
WHERE NOT EXISTS (SELECT 1 FROM signals AS t WHERE t.signaal_pseudoniem = s.signaal_pseudoniem);
