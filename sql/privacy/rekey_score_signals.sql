-- Purpose: key rotation: the lists of counted signals in household scores
--          (household_scores.signaal_pseudoniemen) under the signals' new pseudonyms. A signal
--          without a new pseudonym (destroyed before the rotation) drops out of the list.
-- Grain:   one row per (run, household) with counted signals.
-- Inputs:  household_scores, rekey (oud_signaal, nieuw_signaal).
-- Personal data: none (pseudonyms only).
UPDATE household_scores AS h
SET signaal_pseudoniemen = m.nieuw
FROM (
    SELECT s.run_id, s.huishouden_pseudoniem,
           coalesce(list_sort(list(r.nieuw_signaal) FILTER (WHERE r.nieuw_signaal IS NOT NULL)),
                    []) AS nieuw
    FROM household_scores AS s
    CROSS JOIN unnest(s.signaal_pseudoniemen) AS u(signaal)
    LEFT JOIN (SELECT DISTINCT oud_signaal, nieuw_signaal FROM rekey) AS r
      ON r.oud_signaal = u.signaal
    GROUP BY s.run_id, s.huishouden_pseudoniem
) AS m
WHERE h.run_id = m.run_id AND h.huishouden_pseudoniem = m.huishouden_pseudoniem;
