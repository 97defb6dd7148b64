-- Purpose: key rotation: remove household scores that are still under an old key after the
--          rotation (households whose signals and identities were already destroyed: no vault
--          record to re-key them from, and no way to re-identify them either).
-- Grain:   one row per (run, household) not under the new key.
-- Inputs:  household_scores. Parameters: $prefix (the new version's pseudonym prefix, 'k2_').
-- Personal data: none (pseudonyms only).
DELETE FROM household_scores
WHERE NOT starts_with(huishouden_pseudoniem, $prefix);
