-- Purpose: what-if: how each team's list would change under other rules. Compares two runs of
--          the same period (scored inside one transaction that is rolled back afterwards):
--          erbij (on the alternative bezoeklijst, not on the current one), eraf (the reverse),
--          verschoven (on both, another rank), gelijk.
-- Grain:   one row per household listed (bezoeklijst or wachtlijst) in either run.
-- Inputs:  household_scores. Parameters: $basis, $alternatief (run ids).
-- Personal data: none (household pseudonyms and ranks; nobody is re-identified).
WITH basis AS (
    SELECT huishouden_pseudoniem, wijkteam, rang, sectie, score
    FROM household_scores
    WHERE run_id = $basis AND sectie IS NOT NULL
),

alternatief AS (
    SELECT huishouden_pseudoniem, wijkteam, rang, sectie, score
    FROM household_scores
    WHERE run_id = $alternatief AND sectie IS NOT NULL
)

SELECT
    coalesce(b.wijkteam, a.wijkteam)          AS wijkteam,
    huishouden_pseudoniem,
    b.rang                                    AS rang_nu,
    b.sectie                                  AS sectie_nu,
    b.score                                   AS score_nu,
    a.rang                                    AS rang_alternatief,
    a.sectie                                  AS sectie_alternatief,
    a.score                                   AS score_alternatief,
    CASE
        WHEN coalesce(a.sectie, '') = 'bezoeklijst' AND coalesce(b.sectie, '') <> 'bezoeklijst'
            THEN 'erbij'
        WHEN coalesce(b.sectie, '') = 'bezoeklijst' AND coalesce(a.sectie, '') <> 'bezoeklijst'
            THEN 'eraf'
        WHEN a.rang IS DISTINCT FROM b.rang THEN 'verschoven'
        ELSE 'gelijk'
    END                                       AS verandering
FROM basis AS b
FULL OUTER JOIN alternatief AS a USING (huishouden_pseudoniem)
ORDER BY wijkteam, coalesce(a.rang, b.rang + 1000000), b.rang;
