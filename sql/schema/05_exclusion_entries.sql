-- Purpose: the entries of the exclusion lists a municipality supplies (deceased, moved away,
--          already in debt help, safety list, closed with "hoeft geen hulp"), as pseudonyms only:
--          the list file is pseudonymised on load and not kept.
-- Grain:   one row per entry of one list (a person or an address).
-- Inputs:  written by exclusions/insert_entries.sql (scoring.exclusions).
-- Personal data: none in clear. `pseudoniem` is a person pseudonym (BSN, or name + date of birth
--          + address) or a household pseudonym (address), keyed HMAC like the signals.
CREATE TABLE IF NOT EXISTS exclusion_entries (
    lijst          VARCHAR NOT NULL,
    sleutelsoort   VARCHAR NOT NULL,  -- persoon | huishouden
    pseudoniem     VARCHAR NOT NULL,
    sleutelversie  INTEGER NOT NULL,
    datum          DATE,              -- the event: death, move, closing of a case (NULL: always)
    geldig_tot     DATE               -- last day the entry applies (NULL: open-ended)
);
