-- Purpose: record a committed load (inside the load's transaction).
-- Grain:   one row per load.
-- Inputs:  parameters $levering_id, $sha256, $nieuw, $bijgewerkt, $dubbel, $nu.
-- Personal data: none.
INSERT INTO loads VALUES ($levering_id, $sha256, $nieuw, $bijgewerkt, $dubbel, $nu);
