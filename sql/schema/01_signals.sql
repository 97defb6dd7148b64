-- Purpose: every accepted signal, pseudonymised; the warehouse's fact table.
-- Grain:   one row per signal (partner + signaal_id), whatever number of times it was delivered.
-- Inputs:  written by load/insert_signals.sql and load/update_signals.sql only.
-- Personal data: none in clear. Pseudonyms (keyed HMAC) for signal, household and person; the
--          wijkteam and a coarse age group stand in for address and date of birth.
-- Keys:    one row per signal_pseudoniem, guaranteed by the load (load/classify_staging.sql and
--          load/insert_signals.sql insert only pseudonyms not yet in the table, from a staging
--          frame deduplicated first), so no PRIMARY KEY: DuckDB's index over random pseudonyms
--          made a bulk load about four times slower (docs/benchmark.md). Warehouses created
--          before keep theirs.
CREATE TABLE IF NOT EXISTS signals (
    signaal_pseudoniem     VARCHAR NOT NULL,
    huishouden_pseudoniem  VARCHAR NOT NULL,
    persoon_pseudoniem     VARCHAR NOT NULL,
    sleutelversie          INTEGER NOT NULL,
    partner_id             VARCHAR NOT NULL,
    partner_type           VARCHAR NOT NULL,
    signaaldatum           DATE NOT NULL,
    ontstaansdatum         DATE NOT NULL,
    bedrag_cent            BIGINT NOT NULL,
    crisis                 BOOLEAN NOT NULL,
    wijkteam               VARCHAR NOT NULL,
    leeftijdsgroep         VARCHAR,
    levering_id            VARCHAR NOT NULL,
    geladen_op             TIMESTAMPTZ NOT NULL,
    versie                 INTEGER NOT NULL DEFAULT 1
);
