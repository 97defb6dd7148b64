-- Purpose: what the BRP (Haal Centraal) said about the signals that counted in a run: whether
--          the person is registered at the signalled address, deceased or registered outside the
--          municipality, and how many residents and minors live at the address. Read by
--          model/household_scores.sql for the same run (exclusions, minors points, the reason
--          "niet ingeschreven op dit adres").
-- Grain:   one row per (run, signal) asked about; written by scoring/brp.py.
-- Inputs:  the connector's answers (connectors/brp.py).
-- Personal data: none in clear (signal pseudonyms, yes/no and counts; never names or BSNs).
CREATE TABLE IF NOT EXISTS brp_facts (
    run_id                  VARCHAR NOT NULL,
    signaal_pseudoniem      VARCHAR NOT NULL,
    -- NULL: not known (a contract in a business name is not searched).
    ingeschreven_op_adres   BOOLEAN,
    overleden               BOOLEAN NOT NULL,
    buiten_gemeente         BOOLEAN NOT NULL,
    bewoners                INTEGER,
    minderjarigen           INTEGER,
    -- The reason in Dutch (fixed texts of connectors/brp.py), NULL when there is none.
    reden                   VARCHAR
);
