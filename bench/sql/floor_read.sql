-- Purpose: the floor's typing of the read text (between "read" and "validate", not counted):
--          trim and parse into typed columns beside the text, like map_to_standard + parse (same
--          rules, same outputs).
-- Grain:   one row per data row of the file. Inputs: raw_csv (the text as polars read it, all
--          columns text, with its file line number bron_rij), pc4_team, partner_names.
-- Personal data: yes (in memory only: the floor's working database is not written to disk).
CREATE TABLE parsed AS
WITH trimmed AS (
    SELECT bron_rij, nullif(trim(COLUMNS(* EXCLUDE (bron_rij))), '')
    FROM raw_csv
),

typed AS (
    SELECT
        t.*,
        coalesce(p.partner_id, 'std-' || regexp_replace(lower(strip_accents(t.partner_naam)),
                                                        '[^a-z0-9]+', '-', 'g'))  AS partner_id,
        try_strptime(t.signaaldatum, '%Y-%m-%d')::DATE                       AS signaaldatum_p,
        try_strptime(t.ontstaansdatum, '%Y-%m-%d')::DATE                     AS ontstaansdatum_p,
        try_strptime(t.geboortedatum, '%Y-%m-%d')::DATE                      AS geboortedatum_p,
        try_strptime(t.uiterste_datum, '%Y-%m-%d')::DATE                     AS uiterste_datum_p,
        CASE WHEN regexp_full_match(t.bedrag, '-?\d+(?:[.,]\d{1,2})?')
             THEN round(replace(t.bedrag, ',', '.')::DECIMAL(18, 2) * 100)::BIGINT END
                                                                              AS bedrag_p,
        CASE lower(t.crisis) WHEN 'ja' THEN true WHEN 'nee' THEN false END  AS crisis_p,
        upper(regexp_replace(t.postcode, '\s+', '', 'g'))                    AS postcode_c,
        nullif(regexp_extract(t.huisnummer, '^\s*0*(\d+)', 1), '')           AS huisnummer_p,
        CASE WHEN regexp_replace(upper(coalesce(t.huisnummertoevoeging, '')), '[^0-9A-Z]', '', 'g') <> ''
             THEN regexp_replace(upper(t.huisnummertoevoeging), '[^0-9A-Z]', '', 'g')
             ELSE regexp_replace(upper(regexp_extract(coalesce(t.huisnummer, ''), '^\s*\d+(.*)$', 1)),
                                 '[^0-9A-Z]', '', 'g') END                    AS toevoeging_p,
        CASE WHEN regexp_full_match(regexp_replace(t.bsn, '[\s.]', '', 'g'), '\d{8,9}')
             THEN lpad(regexp_replace(t.bsn, '[\s.]', '', 'g'), 9, '0') END   AS bsn_p
    FROM trimmed AS t
    LEFT JOIN partner_names AS p ON p.naam = lower(regexp_replace(t.partner_naam, '\s+', ' ', 'g'))
)

SELECT
    typed.* EXCLUDE (postcode_c),
    CASE WHEN regexp_full_match(postcode_c, '[1-9][0-9]{3}[A-Z]{2}') THEN postcode_c END AS postcode_p,
    CASE WHEN bsn_p IS NOT NULL THEN
        (list_sum(list_transform(range(9), i -> substr(bsn_p, i + 1, 1)::INTEGER
                                           * [9, 8, 7, 6, 5, 4, 3, 2, -1][i + 1])) % 11 = 0
         AND bsn_p <> '000000000') END                                      AS bsn_elfproef,
    z.wijkteam
FROM typed
LEFT JOIN pc4_team AS z
  ON z.pc4 = CASE WHEN regexp_full_match(postcode_c, '[1-9][0-9]{3}[A-Z]{2}')
                  THEN substr(postcode_c, 1, 4)::INTEGER END;
