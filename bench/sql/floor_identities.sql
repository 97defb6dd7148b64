-- Purpose: the rows the floor's "vault" step seals: pseudonyms, key version and the identity
--          columns privacy.pseudonymise.IDENTITY_COLUMNS names, plus the two the vault keeps for
--          a re-key (partner_id, toevoeging_sleutel); one row per signal (the first delivered).
-- Grain:   one row per signal. Inputs: pseudonymised.
-- Personal data: yes (in memory only, on its way to being sealed).
SELECT
    signaal_pseudoniem, huishouden_pseudoniem, persoon_pseudoniem, sleutelversie,
    signaal_id, bsn, voornamen, tussenvoegsel, achternaam, geboortedatum, straatnaam, postcode,
    huisnummer, huisnummertoevoeging, woonplaats, telefoon, email, partner_id, toevoeging_sleutel
FROM pseudonymised
QUALIFY row_number() OVER (PARTITION BY signaal_pseudoniem ORDER BY bron_rij DESC) = 1
