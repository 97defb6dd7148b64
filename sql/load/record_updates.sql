-- Purpose: keep the history of re-sent signals whose amount or crisis flag changed, with the
--          signal date they had before (a re-send in a later period is the same arrears).
-- Grain:   one row per changed signal in the staged delivery.
-- Inputs:  staging, signals (before update_signals.sql runs). Parameters: $levering_id, $nu.
-- Personal data: none.
INSERT INTO signal_updates (signaal_pseudoniem, levering_id, oud_bedrag_cent, nieuw_bedrag_cent,
                            oud_crisis, nieuw_crisis, bijgewerkt_op, oud_signaaldatum)
SELECT s.signaal_pseudoniem, $levering_id, t.bedrag_cent, s.bedrag_cent, t.crisis, s.crisis, $nu,
       t.signaaldatum
FROM staging AS s
JOIN signals AS t USING (signaal_pseudoniem)
WHERE t.bedrag_cent <> s.bedrag_cent OR t.crisis <> s.crisis;
