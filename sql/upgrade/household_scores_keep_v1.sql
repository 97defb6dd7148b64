-- Purpose: keep the first model's scores under another name before the new table is created.
-- Grain:   the whole table. Personal data: none.
ALTER TABLE household_scores RENAME TO household_scores_v1;
