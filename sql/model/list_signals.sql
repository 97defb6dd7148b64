-- Purpose: the signals that count for one team's listed households: whose identities to fetch
--          from the vault for the visit list, and no others (not a deceased or moved resident
--          whose signals were excluded, not an old repeat), which partners sent them (named
--          on the list from the partner registry), and a crisis signal's deadline (issue 17).
-- Grain:   one row per counted signal. Parameters: $run_id, $wijkteam.
-- Personal data: none (pseudonyms only).
SELECT h.huishouden_pseudoniem, s.signaal_pseudoniem, s.signaaldatum, s.partner_id,
       CASE WHEN s.crisis THEN s.uiterste_datum END AS uiterste_datum
FROM household_scores AS h
CROSS JOIN unnest(h.signaal_pseudoniemen) AS u(signaal_pseudoniem)
JOIN signals AS s USING (signaal_pseudoniem)
WHERE h.run_id = $run_id
  AND h.wijkteam = $wijkteam
  AND h.sectie IS NOT NULL
ORDER BY h.huishouden_pseudoniem, s.signaaldatum DESC, s.signaal_pseudoniem;
