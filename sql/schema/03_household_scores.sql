-- Purpose: the matched and scored households of one run, with the points per rule that make up
--          each score and the outcome (bezoeklijst, wachtlijst, or why not listed), so every
--          position on a list, and every household left off, can be explained.
-- Grain:   one row per (run, household) with at least one signal in the run's period.
-- Inputs:  written by model/household_scores.sql.
-- Personal data: none in clear (household and signal pseudonyms; dates and amounts of arrears).
CREATE TABLE IF NOT EXISTS household_scores (
    run_id                  VARCHAR NOT NULL,
    periode                 VARCHAR NOT NULL,
    huishouden_pseudoniem   VARCHAR NOT NULL,
    wijkteam                VARCHAR NOT NULL,
    -- Signals that count (after exclusions, windows, minimums and repeat suppression) ...
    signalen                INTEGER NOT NULL,
    signaal_pseudoniemen    VARCHAR[] NOT NULL,
    -- ... and the period's signals that do not, by reason.
    signalen_periode        INTEGER NOT NULL,
    signalen_herhaling      INTEGER NOT NULL,
    signalen_vervangen      INTEGER NOT NULL,
    signalen_buiten_termijn INTEGER NOT NULL,
    signalen_onder_minimum  INTEGER NOT NULL,
    signalen_uitgesloten    INTEGER NOT NULL,
    uitsluiting             VARCHAR,
    partnertypes            VARCHAR[] NOT NULL,
    totaal_bedrag_cent      BIGINT NOT NULL,
    -- Arrears in typical monthly bills, in thousandths (integer arithmetic: no rounding drift).
    maandbedragen_mille     BIGINT NOT NULL,
    oudste_ontstaansdatum   DATE,
    eerste_signaaldatum     DATE,
    maanden_achterstand     INTEGER NOT NULL,
    vorig_signaal           DATE,
    bedrag_gestegen         BOOLEAN NOT NULL,
    crisis                  BOOLEAN NOT NULL,
    leeftijdsgroepen        VARCHAR[] NOT NULL,
    punten_partnertype      STRUCT(partner_type VARCHAR, punten INTEGER)[] NOT NULL,
    punten_bedrag           INTEGER NOT NULL,
    punten_duur             INTEGER NOT NULL,
    punten_meervoudig       INTEGER NOT NULL,
    punten_opeenvolgend     INTEGER NOT NULL,
    punten_crisis           INTEGER NOT NULL,
    punten_leeftijd         INTEGER NOT NULL,
    score                   INTEGER NOT NULL,
    minimum_cent            BIGINT NOT NULL,
    -- bezoeklijst | wachtlijst | onder_drempel | herhaling | buiten_termijn | uitgesloten
    status                  VARCHAR NOT NULL,
    -- Rank within the team among bezoeklijst and wachtlijst households (NULL otherwise).
    rang                    INTEGER,
    sectie                  VARCHAR,
    -- On the published list: bezoeklijst or wachtlijst (sectie IS NOT NULL). Retention and
    -- erasure treat both sections as published.
    op_lijst                BOOLEAN NOT NULL
    -- No primary key: one row per (run, household) holds by construction (GROUP BY household,
    -- and a run's rows are deleted before they are written, in one transaction; a test checks
    -- a re-run). A key index on these wide text columns doubles the time to score a month.
);
