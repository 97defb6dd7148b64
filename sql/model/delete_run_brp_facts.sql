-- Purpose: forget what the BRP said for a run before it is asked again (a repeated run).
-- Grain:   deletes the run's rows of brp_facts.
-- Inputs:  Parameters: $run_id.
-- Personal data: none.
DELETE FROM brp_facts WHERE run_id = $run_id;
