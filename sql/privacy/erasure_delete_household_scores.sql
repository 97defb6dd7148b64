-- Purpose: erasure: destroy the scores of households that have no signal left after a person's
--          signals were erased (a household with other residents keeps its scores: they are
--          about the address, and the others' signals are still in them).
-- Grain:   one row per (run, household) destroyed.
-- Inputs:  household_scores, signals; erased_households (huishouden_pseudoniem).
-- Personal data: none (pseudonyms only).
DELETE FROM household_scores
WHERE huishouden_pseudoniem IN (SELECT huishouden_pseudoniem FROM erased_households)
  AND huishouden_pseudoniem NOT IN (SELECT huishouden_pseudoniem FROM signals);
