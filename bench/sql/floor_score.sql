-- Purpose: floor of "score": group the period's signals by household and compute the main
--          points (partner types, amount in monthly bills, meervoudig, crisis) and the listing
--          rule (the model's exclusions, repeats and capacity are left out of the floor).
-- Grain:   one row per household with a signal in the period. Inputs: wh.signals,
--          partner_points (partner_type, punten, maandbedrag_cent). Parameters: $begin, $einde,
--          $overige_punten, $overig_maandbedrag_cent, $punten_per_maandbedrag,
--          $max_bedragpunten, $meervoudig_punten, $crisis_punten, $minimum_cent.
-- Personal data: none.
CREATE TABLE wh.scores AS
WITH per_type AS (
    SELECT s.huishouden_pseudoniem, s.partner_type, min(s.wijkteam) AS wijkteam,
           count(*) AS signalen, sum(s.bedrag_cent) AS bedrag, bool_or(s.crisis) AS crisis,
           sum(s.bedrag_cent * 1000 // coalesce(p.maandbedrag_cent, $overig_maandbedrag_cent))
               AS maandbedragen_mille
    FROM wh.signals AS s
    LEFT JOIN partner_points AS p USING (partner_type)
    WHERE s.signaaldatum >= $begin AND s.signaaldatum < $einde
    GROUP BY s.huishouden_pseudoniem, s.partner_type
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
        sum(maandbedragen_mille)::BIGINT                       AS maandbedragen_mille,
        bool_or(crisis)                                        AS crisis
    FROM per_type
    LEFT JOIN partner_points AS p USING (partner_type)
    GROUP BY huishouden_pseudoniem
)

SELECT
    *,
    (punten_partnertype
     + least(maandbedragen_mille * $punten_per_maandbedrag // 1000, $max_bedragpunten)
     + (aantal_partnertypes - 1) * $meervoudig_punten
     + CASE WHEN crisis THEN $crisis_punten ELSE 0 END)::INTEGER               AS score,
    (crisis OR totaal_bedrag_cent >= $minimum_cent)                            AS op_lijst
FROM households;
