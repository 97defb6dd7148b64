-- Purpose: the matched and scored households of one run, with the points per rule that make up
--          each score (so every position on a list can be explained).
-- Grain:   one row per (run, household) with at least one signal in the run's period.
-- Inputs:  written by model/household_scores.sql.
-- Personal data: none (household pseudonym only).
CREATE TABLE IF NOT EXISTS household_scores (
    run_id                 VARCHAR NOT NULL,
    periode                VARCHAR NOT NULL,
    huishouden_pseudoniem  VARCHAR NOT NULL,
    wijkteam               VARCHAR NOT NULL,
    signalen               INTEGER NOT NULL,
    partnertypes           VARCHAR[] NOT NULL,
    totaal_bedrag_cent     BIGINT NOT NULL,
    crisis                 BOOLEAN NOT NULL,
    punten_partnertype     STRUCT(partner_type VARCHAR, punten INTEGER)[] NOT NULL,
    punten_bedrag          INTEGER NOT NULL,
    punten_meervoudig      INTEGER NOT NULL,
    punten_crisis          INTEGER NOT NULL,
    score                  INTEGER NOT NULL,
    op_lijst               BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, huishouden_pseudoniem)
);
