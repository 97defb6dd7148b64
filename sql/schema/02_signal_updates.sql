-- Purpose: history of re-sent signals whose amount or crisis flag changed (an update, not a
--          second signal).
-- Grain:   one row per change of one signal by one delivery.
-- Inputs:  written by load/record_updates.sql.
-- Personal data: none (pseudonyms only).
CREATE TABLE IF NOT EXISTS signal_updates (
    signaal_pseudoniem  VARCHAR NOT NULL,
    levering_id         VARCHAR NOT NULL,
    oud_bedrag_cent     BIGINT NOT NULL,
    nieuw_bedrag_cent   BIGINT NOT NULL,
    oud_crisis          BOOLEAN NOT NULL,
    nieuw_crisis        BOOLEAN NOT NULL,
    bijgewerkt_op       TIMESTAMPTZ NOT NULL
);
