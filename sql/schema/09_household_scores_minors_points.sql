-- Purpose: the points for minors in the household (scoring.minors_points, from the BRP).
-- Grain:   adds one column to household_scores (0 for runs scored before it).
-- Inputs:  written by model/household_scores.sql.
-- Personal data: none.
ALTER TABLE household_scores ADD COLUMN IF NOT EXISTS punten_minderjarigen INTEGER DEFAULT 0;
