-- Purpose: a person of the household's counted signals is not registered at the address
--          according to the BRP: a reason shown to the coordinator, never an exclusion.
-- Grain:   adds one column to household_scores (false for runs scored before it).
-- Inputs:  written by model/household_scores.sql from brp_facts.
-- Personal data: none in clear.
ALTER TABLE household_scores ADD COLUMN IF NOT EXISTS niet_op_adres BOOLEAN DEFAULT false;
