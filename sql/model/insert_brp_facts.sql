-- Purpose: keep what the BRP said about a run's counted signals, as pseudonymous facts.
-- Grain:   one row per signal asked about.
-- Inputs:  brp_answers (registered frame: signaal_pseudoniem, ingeschreven_op_adres, overleden,
--          buiten_gemeente, bewoners, minderjarigen, reden, adresobject_pseudoniem,
--          adres_zoals_brp). Parameters: $run_id.
-- Personal data: none in clear (pseudonyms, yes/no, counts and fixed reason texts).
INSERT INTO brp_facts BY NAME
SELECT $run_id AS run_id, signaal_pseudoniem, ingeschreven_op_adres, overleden, buiten_gemeente,
       bewoners, minderjarigen, reden, adresobject_pseudoniem, adres_zoals_brp
FROM brp_answers;
