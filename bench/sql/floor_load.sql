-- Purpose: floor of "load": the pseudonymised facts into the warehouse's own signals table
--          (sql/schema/01_signals.sql, with its primary key), in a database file.
-- Grain:   one row per signal (first occurrence of a pseudonym). Inputs: pseudonymised.
--          Parameters: $levering_id.
-- Personal data: none (pseudonyms and facts).
INSERT INTO wh.signals (
    signaal_pseudoniem, huishouden_pseudoniem, persoon_pseudoniem, sleutelversie, partner_id,
    partner_type, signaaldatum, ontstaansdatum, bedrag_cent, crisis, wijkteam, leeftijdsgroep,
    levering_id, geladen_op, versie, uiterste_datum)
SELECT
    signaal_pseudoniem, huishouden_pseudoniem, persoon_pseudoniem, sleutelversie, partner_id,
    partner_type, signaaldatum, ontstaansdatum, bedrag_cent, crisis, wijkteam, leeftijdsgroep,
    $levering_id, now(), 1, uiterste_datum
FROM pseudonymised
QUALIFY row_number() OVER (PARTITION BY signaal_pseudoniem ORDER BY bron_rij) = 1;
