-- Purpose: subject access: the change history of a person's signals.
-- Grain:   one row per change. Inputs: signal_updates; wanted (signaal_pseudoniem).
-- Personal data: none in clear.
SELECT u.levering_id, u.oud_bedrag_cent, u.nieuw_bedrag_cent, u.oud_crisis, u.nieuw_crisis,
       u.bijgewerkt_op
FROM signal_updates AS u
JOIN wanted AS w USING (signaal_pseudoniem)
ORDER BY u.bijgewerkt_op;
