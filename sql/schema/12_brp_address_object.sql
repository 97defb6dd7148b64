-- Purpose: the BRP's address object per signal (a keyed MAC of adresseerbaarObjectIdentificatie,
--          domain "adresobject", never the id), and whether the signal spells the address as
--          the BRP does; household_scores counts the address-keyed households one household
--          took in through it (model/household_scores.sql).
-- Grain:   columns of brp_facts and household_scores.
-- Inputs:  written by scoring/brp.py and model/household_scores.sql.
-- Personal data: none in clear (a pseudonym under the key of the run; a key rotation leaves it
--          under the old key, which only groups the signals of that one run).
ALTER TABLE brp_facts ADD COLUMN IF NOT EXISTS adresobject_pseudoniem VARCHAR;
ALTER TABLE brp_facts ADD COLUMN IF NOT EXISTS adres_zoals_brp BOOLEAN DEFAULT false;
ALTER TABLE household_scores ADD COLUMN IF NOT EXISTS samengevoegd INTEGER DEFAULT 0;
