-- Purpose: subject access: every run's score of the person's household(s), with its points.
-- Grain:   one row per (run, household). Inputs: household_scores; wanted_households
--          (huishouden_pseudoniem).
-- Personal data: none in clear.
SELECT h.run_id, h.periode, h.wijkteam, h.signalen, h.partnertypes, h.totaal_bedrag_cent,
       h.crisis, h.punten_partnertype, h.punten_bedrag, h.punten_meervoudig, h.punten_crisis,
       h.score, h.op_lijst
FROM household_scores AS h
JOIN wanted_households AS w USING (huishouden_pseudoniem)
ORDER BY h.periode, h.run_id;
