-- Purpose: floor of "publish", one wijkteam: its listed households in rank order, with what the
--          list shows of them and what its reasons are made of (pseudonyms and points only).
-- Grain:   one row per listed household of the team. Inputs: wh.scores. Parameters: $wijkteam.
-- Personal data: none.
SELECT
    row_number() OVER (ORDER BY crisis DESC, score DESC, totaal_bedrag_cent DESC,
                                huishouden_pseudoniem)                    AS rang,
    huishouden_pseudoniem, score, crisis, totaal_bedrag_cent, partnertypes, punten_partnertype,
    signalen, aantal_partnertypes, maandbedragen_mille
FROM wh.scores
WHERE wijkteam = $wijkteam AND op_lijst
ORDER BY rang
