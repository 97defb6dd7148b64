-- Purpose: update history written by an interrupted delivery's committed load now belongs to the
--          delivery that finished it (see adopt_load.sql).
-- Grain:   one row per recorded update of that load.
-- Inputs:  signal_updates. Parameters: $oud, $nieuw_id.
-- Personal data: none.
UPDATE signal_updates SET levering_id = $nieuw_id WHERE levering_id = $oud;
