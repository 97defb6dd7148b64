-- Purpose: erasure: take the erased signals out of the lists of counted signals that household
--          scores keep (household_scores.signaal_pseudoniemen), so no pseudonym of an erased
--          signal remains where the household's scores themselves stay.
-- Grain:   one row per (run, household) that counted an erased signal.
-- Inputs:  household_scores; doomed (signaal_pseudoniem).
-- Personal data: none (pseudonyms only).
UPDATE household_scores AS h
SET signaal_pseudoniemen = list_filter(h.signaal_pseudoniemen, x -> NOT list_contains(d.lijst, x))
FROM (SELECT list(signaal_pseudoniem) AS lijst FROM doomed) AS d
WHERE list_has_any(h.signaal_pseudoniemen, d.lijst);
