-- Purpose: audit trail: SHA-256 over a run's household scores (the output of matching and
--          scoring), rows in pseudonym order, so the audit line can prove what a run produced.
-- Grain:   one row: the digest and the number of rows. Parameters: $run_id.
-- Inputs:  household_scores.
-- Personal data: none (a hash over pseudonymised rows).
SELECT
    sha256(coalesce(string_agg(CAST(h AS VARCHAR), chr(10) ORDER BY h.huishouden_pseudoniem), ''))
        AS sha256,
    count(*) AS rijen
FROM household_scores AS h
WHERE h.run_id = $run_id;
