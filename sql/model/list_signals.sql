-- Purpose: the period's signals of one team's listed households: which identities to fetch from
--          the vault for the visit list (and no others).
-- Grain:   one row per signal. Parameters: $run_id, $wijkteam, $begin, $einde.
-- Personal data: none (pseudonyms only).
SELECT s.huishouden_pseudoniem, s.signaal_pseudoniem, s.signaaldatum
FROM signals AS s
JOIN household_scores AS h USING (huishouden_pseudoniem)
WHERE h.run_id = $run_id
  AND h.wijkteam = $wijkteam
  AND h.op_lijst
  AND s.signaaldatum >= $begin AND s.signaaldatum < $einde
ORDER BY s.huishouden_pseudoniem, s.signaaldatum DESC, s.signaal_pseudoniem;
