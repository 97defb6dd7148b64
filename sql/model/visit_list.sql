-- Purpose: one wijkteam's visit list for a run, ranked. Crisis first, then score, then amount;
--          the pseudonym breaks remaining ties so the order is deterministic.
-- Grain:   one row per listed household of the team.
-- Inputs:  household_scores. Parameters: $run_id, $wijkteam.
-- Personal data: none (re-identification happens afterwards, for these rows only).
SELECT
    row_number() OVER (
        ORDER BY crisis DESC, score DESC, totaal_bedrag_cent DESC, huishouden_pseudoniem
    )::INTEGER AS rang,
    huishouden_pseudoniem,
    signalen,
    partnertypes,
    totaal_bedrag_cent,
    crisis,
    punten_partnertype,
    punten_bedrag,
    punten_meervoudig,
    punten_crisis,
    score
FROM household_scores
WHERE run_id = $run_id AND wijkteam = $wijkteam AND op_lijst
ORDER BY rang;
