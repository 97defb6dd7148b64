-- Purpose: record which version of an exclusion list is loaded (file hash, counts, time).
-- Grain:   one row per list, replaced on every load. Parameters: $lijst, $bestand_mac, $bestand,
--          $personen, $adressen, $sleutelversie, $nu.
-- Personal data: none.
INSERT OR REPLACE INTO exclusion_lists
VALUES ($lijst, $bestand_mac, $bestand, $personen, $adressen, $sleutelversie, $nu);
