-- Purpose: which delivery (by file SHA-256) each committed load came from, with its counts,
--          written in the same transaction as the signals. The operational database is told
--          after the warehouse commits; if the process dies between the two, the next attempt at
--          the same file finds its load here and adopts it instead of counting every signal as a
--          duplicate (crash safety, issue 7).
-- Grain:   one row per committed load.
-- Inputs:  written by load/record_load.sql; read by load/earlier_load.sql.
-- Personal data: none (a file hash, a delivery id, counts).
CREATE TABLE IF NOT EXISTS loads (
    levering_id  VARCHAR PRIMARY KEY,
    sha256       VARCHAR NOT NULL,
    nieuw        INTEGER NOT NULL,
    bijgewerkt   INTEGER NOT NULL,
    dubbel       INTEGER NOT NULL,
    geladen_op   TIMESTAMPTZ NOT NULL
);
