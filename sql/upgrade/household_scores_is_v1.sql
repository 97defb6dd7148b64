-- Purpose: is the household_scores table still in the first model's layout (no `sectie`)?
--          Then it is kept as household_scores_v1 and a new one is created (see
--          scoring.warehouse.connect); scores are derived data, the old runs stay readable.
-- Grain:   one row: true when the first layout is present.
-- Personal data: none.
SELECT count(*) FILTER (WHERE column_name = 'run_id') = 1
   AND count(*) FILTER (WHERE column_name = 'sectie') = 0
FROM information_schema.columns
WHERE table_name = 'household_scores' AND table_schema = 'main';
