-- Purpose: keep the history of re-sent signals whose amount or crisis flag changed.
-- Grain:   one row per changed signal in the staged delivery.
-- Inputs:  staging, signals (before update_signals.sql runs). Parameters: $levering_id, $nu.
-- Personal data: none.
INSERT INTO signal_updates
SELECT s.signaal_pseudoniem, $levering_id, t.bedrag_cent, s.bedrag_cent, t.crisis, s.crisis, $nu
FROM staging AS s
JOIN signals AS t USING (signaal_pseudoniem)
WHERE t.bedrag_cent <> s.bedrag_cent OR t.crisis <> s.crisis;
