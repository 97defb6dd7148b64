-- Purpose: key rotation: add every run's household scores again under the households' new
--          pseudonyms; rekey_scores_delete then removes the old rows. A household pseudonym
--          depends only on the address, so old -> new is one-to-one. Other columns are copied
--          as they are (BY NAME).
-- Grain:   one row per (run, household) whose household is in rekey.
-- Inputs:  household_scores, rekey.
-- Personal data: none (pseudonyms only).
INSERT INTO household_scores BY NAME
SELECT h.* REPLACE (m.nieuw_huishouden AS huishouden_pseudoniem)
FROM household_scores AS h
JOIN (SELECT DISTINCT oud_huishouden, nieuw_huishouden FROM rekey) AS m
  ON m.oud_huishouden = h.huishouden_pseudoniem;
