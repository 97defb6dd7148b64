-- Purpose: the signals that count for the households of the cases being reported: a case
--          (vroeg/cases.py) is one household on one run's list, and its signals are the ones
--          that put the household there.
-- Grain:   one row per (run, household, counted signal). Parameters: $run_ids, $huishoudens.
-- Inputs:  household_scores.
-- Personal data: none (pseudonyms only).
SELECT h.run_id, h.huishouden_pseudoniem, u.signaal_pseudoniem
FROM household_scores AS h
CROSS JOIN unnest(h.signaal_pseudoniemen) AS u(signaal_pseudoniem)
WHERE list_contains($run_ids, h.run_id)
  AND list_contains($huishoudens, h.huishouden_pseudoniem)
ORDER BY h.run_id, h.huishouden_pseudoniem, u.signaal_pseudoniem;
