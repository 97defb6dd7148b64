-- Purpose: match signals into households for one period and score them with the first,
--          transparent points model (docs/scoring.md). Every component is kept as its own column.
-- Grain:   one row per household (pseudonymised address) with at least one signal in the period.
-- Inputs:  signals; partner_type_points (partner_type, punten) registered from the municipality's
--          configuration. Parameters: $run_id, $periode, $begin, $einde (exclusive),
--          $minimum_cent, $overige_punten, $cent_per_punt, $max_bedragpunten, $meervoudig_punten,
--          $crisis_punten.
-- Personal data: none (household pseudonyms only).
INSERT INTO household_scores
WITH source AS (
    SELECT *
    FROM signals
    WHERE signaaldatum >= $begin AND signaaldatum < $einde
),

households AS (
    SELECT
        huishouden_pseudoniem,
        -- All signals of one address share its postcode, hence its wijkteam.
        min(wijkteam)                                   AS wijkteam,
        count(*)::INTEGER                               AS signalen,
        list_sort(list_distinct(list(partner_type)))    AS partnertypes,
        count(DISTINCT partner_type)::INTEGER           AS aantal_partnertypes,
        sum(bedrag_cent)::BIGINT                        AS totaal_bedrag_cent,
        bool_or(crisis)                                 AS crisis
    FROM source
    GROUP BY huishouden_pseudoniem
),

type_points AS (
    SELECT
        h.huishouden_pseudoniem,
        list(
            {'partner_type': t.partner_type, 'punten': coalesce(p.punten, $overige_punten)::INTEGER}
            ORDER BY coalesce(p.punten, $overige_punten) DESC, t.partner_type
        ) AS punten_partnertype
    FROM households AS h
    CROSS JOIN unnest(h.partnertypes) AS t(partner_type)
    LEFT JOIN partner_type_points AS p ON p.partner_type = t.partner_type
    GROUP BY h.huishouden_pseudoniem
),

scored AS (
    SELECT
        h.*,
        tp.punten_partnertype,
        least(floor(h.totaal_bedrag_cent / $cent_per_punt), $max_bedragpunten)::INTEGER
                                                                            AS punten_bedrag,
        CASE WHEN h.aantal_partnertypes >= 2 THEN $meervoudig_punten ELSE 0 END::INTEGER
                                                                            AS punten_meervoudig,
        CASE WHEN h.crisis THEN $crisis_punten ELSE 0 END::INTEGER          AS punten_crisis
    FROM households AS h
    JOIN type_points AS tp USING (huishouden_pseudoniem)
),

final AS (
    SELECT
        $run_id AS run_id,
        $periode AS periode,
        huishouden_pseudoniem,
        wijkteam,
        signalen,
        partnertypes,
        totaal_bedrag_cent,
        crisis,
        punten_partnertype,
        punten_bedrag,
        punten_meervoudig,
        punten_crisis,
        (list_sum(list_transform(punten_partnertype, x -> x.punten))
            + punten_bedrag + punten_meervoudig + punten_crisis)::INTEGER  AS score,
        -- Crisis households are always listed; others from the minimum amount up.
        (crisis OR totaal_bedrag_cent >= $minimum_cent)                   AS op_lijst
    FROM scored
)

SELECT * FROM final;
