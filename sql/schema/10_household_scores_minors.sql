-- Purpose: whether the BRP counts minors at the household's address (NULL: not asked).
-- Grain:   adds one column to household_scores.
-- Inputs:  written by model/household_scores.sql from brp_facts.
-- Personal data: none in clear (yes/no about a pseudonymised household).
ALTER TABLE household_scores ADD COLUMN IF NOT EXISTS minderjarigen BOOLEAN;
