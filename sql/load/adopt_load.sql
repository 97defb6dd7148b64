-- Purpose: hand a committed load over to the delivery that finishes it (the interrupted
--          delivery stays in the registry as failed; the signals point at the one that counts).
-- Grain:   one row per load; signals and signal_updates follow in their own statements.
-- Inputs:  loads. Parameters: $oud, $nieuw_id.
-- Personal data: none.
UPDATE loads SET levering_id = $nieuw_id WHERE levering_id = $oud;
