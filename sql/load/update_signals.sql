-- Purpose: apply a re-sent signal's new amount, crisis flag and dates (an update, not a second
--          signal); the signal keeps its identity and gains a version.
-- Grain:   one row per changed signal.
-- Inputs:  staging, signals. Parameters: $levering_id, $nu.
-- Personal data: none.
UPDATE signals AS t
SET bedrag_cent    = s.bedrag_cent,
    crisis         = s.crisis,
    signaaldatum   = s.signaaldatum,
    ontstaansdatum = s.ontstaansdatum,
    uiterste_datum = s.uiterste_datum,
    levering_id    = $levering_id,
    geladen_op     = $nu,
    versie         = t.versie + 1
FROM staging AS s
WHERE t.signaal_pseudoniem = s.signaal_pseudoniem
  AND (t.bedrag_cent <> s.bedrag_cent OR t.crisis <> s.crisis);
