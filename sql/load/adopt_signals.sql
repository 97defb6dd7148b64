-- Purpose: signals written by an interrupted delivery's committed load now belong to the
--          delivery that finished it (see adopt_load.sql).
-- Grain:   one row per signal of that load.
-- Inputs:  signals. Parameters: $oud, $nieuw_id.
-- Personal data: none.
UPDATE signals SET levering_id = $nieuw_id WHERE levering_id = $oud;
