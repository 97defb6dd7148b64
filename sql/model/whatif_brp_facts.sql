-- Purpose: the what-if comparison scores with what the BRP said in the period's latest run
--          (none when that run had the link off or the BRP did not answer), so that "now" is
--          the list that run published; nobody is asked or re-identified for a comparison.
-- Grain:   one row per BRP fact of that run, under the comparison's run id.
-- Inputs:  brp_facts, household_scores. Parameters: $doel (the comparison's run id), $periode.
-- Personal data: none (pseudonyms, yes/no and counts).
INSERT INTO brp_facts BY NAME
SELECT $doel AS run_id, signaal_pseudoniem, ingeschreven_op_adres, overleden, buiten_gemeente,
       bewoners, minderjarigen, reden, adresobject_pseudoniem, adres_zoals_brp
FROM brp_facts
WHERE run_id = (SELECT max(run_id) FROM household_scores WHERE periode = $periode);
