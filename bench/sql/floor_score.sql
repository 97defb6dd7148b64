-- Purpose: floor of "score": group the period's signals by household and compute the same
--          points (partner types, amount, meervoudig, crisis) and the listing rule.
-- Grain:   one row per household with a signal in the period. Inputs: wh.signals,
--          partner_points. Parameters: $begin, $einde, $overige_punten, $cent_per_punt,
--          $max_bedragpunten, $meervoudig_punten, $crisis_punten, $minimum_cent.
-- Personal data: none.
CREATE TABLE wh.scores AS
WITH per_type AS (
    SELECT huishouden_pseudoniem, partner_type, min(wijkteam) AS wijkteam, count(*) AS signalen,
           sum(bedrag_cent) AS bedrag, bool_or(crisis) AS crisis
    FROM wh.signals
    WHERE signaaldatum >= $begin AND signaaldatum < $einde
    GROUP BY ALL
),

households AS (
    SELECT
        huishouden_pseudoniem,
        min(wijkteam)                                          AS wijkteam,
        sum(signalen)::INTEGER                                 AS signalen,
        list(partner_type ORDER BY partner_type)               AS partnertypes,
        count(*)::INTEGER                                      AS aantal_partnertypes,
        sum(coalesce(p.punten, $overige_punten))::INTEGER      AS punten_partnertype,
        sum(bedrag)::BIGINT                                    AS totaal_bedrag_cent,
        bool_or(crisis)                                        AS crisis
    FROM per_type
    LEFT JOIN partner_points AS p USING (partner_type)
    GROUP BY huishouden_pseudoniem
)

SELECT
    *,
    (punten_partnertype
     + least(floor(totaal_bedrag_cent / $cent_per_punt), $max_bedragpunten)
     + CASE WHEN aantal_partnertypes >= 2 THEN $meervoudig_punten ELSE 0 END
     + CASE WHEN crisis THEN $crisis_punten ELSE 0 END)::INTEGER               AS score,
    (crisis OR totaal_bedrag_cent >= $minimum_cent)                            AS op_lijst
FROM households;
