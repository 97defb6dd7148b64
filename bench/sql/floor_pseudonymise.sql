-- Purpose: floor of "pseudonymise": three keyed pseudonyms per clean row, HMAC-SHA256 written
--          with DuckDB's sha256 (it has no HMAC): HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)),
--          the pads computed once from the same derived key privacy.pseudonymise uses; plus the
--          age band. Same texts per domain as privacy.pseudonymise, truncated to 128 bits.
-- Grain:   one row per clean signal. Inputs: clean. Parameters: $ipad, $opad (64-byte blobs),
--          $prefix ('k1_'), $version.
-- Personal data: identity columns are kept beside the pseudonyms (for the vault step), in memory.
CREATE TABLE pseudonymised AS
WITH texts AS (
    SELECT
        *,
        postcode || '|' || huisnummer || '|' || coalesce(toevoeging_sleutel, '')    AS _huishouden,
        partner_id || '|' || signaal_id                                             AS _signaal
    FROM clean
),

person AS (
    SELECT
        *,
        CASE WHEN bsn IS NOT NULL THEN 'bsn:' || bsn
             ELSE 'naam:|' || lower(achternaam) || '|' || left(lower(coalesce(voornamen, '')), 1)
                  || '|' || coalesce(geboortedatum::VARCHAR, '') || '|' || _huishouden END
                                                                                     AS _persoon
    FROM texts
),

age AS (
    SELECT
        *,
        date_diff('year', geboortedatum, signaaldatum)
            - CASE WHEN strftime(signaaldatum, '%m%d') < strftime(geboortedatum, '%m%d')
                   THEN 1 ELSE 0 END                                                  AS _jaren
    FROM person
)

SELECT
    $prefix || left(sha256($opad || unhex(sha256($ipad || encode('signaal' || chr(31) || _signaal)))), 32)
        AS signaal_pseudoniem,
    $prefix || left(sha256($opad || unhex(sha256($ipad || encode('huishouden' || chr(31) || _huishouden)))), 32)
        AS huishouden_pseudoniem,
    $prefix || left(sha256($opad || unhex(sha256($ipad || encode('persoon' || chr(31) || _persoon)))), 32)
        AS persoon_pseudoniem,
    $version::INTEGER AS sleutelversie,
    CASE WHEN geboortedatum IS NULL THEN NULL
         WHEN _jaren < 18 THEN '<18' WHEN _jaren < 27 THEN '18-26' WHEN _jaren < 45 THEN '27-44'
         WHEN _jaren < 65 THEN '45-64' ELSE '65+' END                                 AS leeftijdsgroep,
    * EXCLUDE (_jaren)
FROM age;
