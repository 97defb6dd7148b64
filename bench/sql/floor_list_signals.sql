-- Purpose: floor of "publish", one wijkteam: the period's signals of its listed households, the
--          only records the list opens from the vault.
-- Grain:   one row per counted signal. Inputs: wh.scores, wh.signals. Parameters: $wijkteam,
--          $begin, $einde.
-- Personal data: none (pseudonyms only).
SELECT s.signaal_pseudoniem
FROM wh.signals AS s
JOIN wh.scores AS h USING (huishouden_pseudoniem)
WHERE h.wijkteam = $wijkteam AND h.op_lijst
  AND s.signaaldatum >= $begin AND s.signaaldatum < $einde
