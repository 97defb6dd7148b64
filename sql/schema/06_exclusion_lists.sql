-- Purpose: which version of each exclusion list is loaded: when, from which file (by MAC), how
--          many entries. A run reports it; a required list that was never loaded stops a run.
-- Grain:   one row per list.
-- Inputs:  written by exclusions/record_list.sql.
-- Personal data: none (a keyed MAC of the file, not a plain hash; counts).
CREATE TABLE IF NOT EXISTS exclusion_lists (
    lijst          VARCHAR PRIMARY KEY,
    bestand_mac    VARCHAR NOT NULL,  -- keyed MAC of the file: recognises an unchanged file
    bestand        VARCHAR NOT NULL,
    personen       INTEGER NOT NULL,
    adressen       INTEGER NOT NULL,
    sleutelversie  INTEGER NOT NULL,
    geladen_op     TIMESTAMPTZ NOT NULL
);
