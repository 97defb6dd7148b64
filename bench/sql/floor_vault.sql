-- Purpose: floor of "vault": the identity of every signal, as JSON, keyed by its pseudonyms, in
--          a database encrypted at rest with AES-GCM (DuckDB's database encryption).
-- Grain:   one row per signal. Inputs: pseudonymised.
-- Personal data: yes, only inside the encrypted attached database `vault`.
CREATE TABLE vault.identiteiten AS
SELECT
    signaal_pseudoniem, huishouden_pseudoniem, persoon_pseudoniem, sleutelversie,
    to_json({
        'signaal_id': signaal_id, 'bsn': bsn, 'voornamen': voornamen,
        'tussenvoegsel': tussenvoegsel, 'achternaam': achternaam, 'geboortedatum': geboortedatum,
        'straatnaam': straatnaam, 'postcode': postcode, 'huisnummer': huisnummer,
        'huisnummertoevoeging': huisnummertoevoeging, 'woonplaats': woonplaats,
        'telefoon': telefoon, 'email': email
    }) AS identiteit,
    now() AS opgeslagen
FROM pseudonymised;
