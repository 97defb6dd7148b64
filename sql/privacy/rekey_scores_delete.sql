-- Purpose: key rotation: remove the household scores under the households' old pseudonyms
--          (after rekey_scores_insert added them under the new ones, in the same transaction).
-- Grain:   one row per (run, household) whose household is in rekey.
-- Inputs:  household_scores, rekey.
-- Personal data: none (pseudonyms only).
DELETE FROM household_scores
WHERE huishouden_pseudoniem IN (SELECT oud_huishouden FROM rekey);
