-- Purpose: erasure: the list lines of households the BRP's address object merged that counted
--          one of the erased person's signals under another address's household key (their
--          line may show the other spelling of the address, so it is found by its rank).
-- Grain:   one row per (run, wijkteam, rank). Inputs: household_scores; doomed
--          (signaal_pseudoniem); erased_households (huishouden_pseudoniem).
-- Personal data: none (pseudonyms and ranks).
SELECT DISTINCT h.run_id, h.wijkteam, h.rang
FROM household_scores AS h
WHERE h.op_lijst
  AND h.samengevoegd > 0
  AND h.huishouden_pseudoniem NOT IN (SELECT huishouden_pseudoniem FROM erased_households)
  AND list_has_any(h.signaal_pseudoniemen, (SELECT list(signaal_pseudoniem) FROM doomed))
ORDER BY ALL;
