-- Purpose: erasure: the runs and teams whose visit list carried the erased person's household,
--          so the row can be taken out of the lists still in the outbox.
-- Grain:   one row per (run, wijkteam). Inputs: household_scores; erased_households.
-- Personal data: none (pseudonyms only).
SELECT DISTINCT h.run_id, h.wijkteam
FROM household_scores AS h
JOIN erased_households AS e USING (huishouden_pseudoniem)
WHERE h.op_lijst;
