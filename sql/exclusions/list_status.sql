-- Purpose: the loaded version of every exclusion list (for the run summary and the CLI).
-- Grain:   one row per loaded list.
-- Personal data: none.
SELECT lijst, bestand_mac, bestand, personen, adressen, sleutelversie, geladen_op
FROM exclusion_lists
ORDER BY lijst;
