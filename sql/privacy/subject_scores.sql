-- Purpose: subject access: every run's score of the person's household(s), with its points,
--          and of a household the BRP's address object merged their signals into (another
--          address's key).
-- Grain:   one row per (run, household). Inputs: household_scores; wanted_households
--          (huishouden_pseudoniem); wanted (signaal_pseudoniem).
-- Personal data: none in clear.
SELECT h.run_id, h.periode, h.wijkteam, h.signalen, h.partnertypes, h.totaal_bedrag_cent,
       h.crisis, h.punten_partnertype, h.punten_bedrag, h.punten_meervoudig, h.punten_crisis,
       h.score, h.op_lijst
FROM household_scores AS h
WHERE h.huishouden_pseudoniem IN (SELECT huishouden_pseudoniem FROM wanted_households)
   OR (h.samengevoegd > 0
       AND list_has_any(h.signaal_pseudoniemen, (SELECT list(signaal_pseudoniem) FROM wanted)))
ORDER BY h.periode, h.run_id;
