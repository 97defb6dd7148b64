-- Purpose: one wijkteam's visit list for a run, ranked: the bezoeklijst (capacity plus every
--          crisis household) then the wachtlijst (the rest above the threshold). The rank is the
--          one household_scores.sql gave: crisis first, then score, then the tie-breaks.
-- Grain:   one row per listed household of the team.
-- Inputs:  household_scores. Parameters: $run_id, $wijkteam.
-- Personal data: none (re-identification happens afterwards, for these rows only).
SELECT
    rang,
    sectie,
    huishouden_pseudoniem,
    signalen,
    partnertypes,
    totaal_bedrag_cent,
    maandbedragen_mille,
    oudste_ontstaansdatum,
    maanden_achterstand,
    vorig_signaal,
    bedrag_gestegen,
    crisis,
    leeftijdsgroepen,
    punten_partnertype,
    punten_bedrag,
    punten_duur,
    punten_meervoudig,
    punten_opeenvolgend,
    punten_crisis,
    punten_leeftijd,
    punten_minderjarigen,
    minderjarigen,
    niet_op_adres,
    score
FROM household_scores
WHERE run_id = $run_id AND wijkteam = $wijkteam AND sectie IS NOT NULL
ORDER BY rang;
