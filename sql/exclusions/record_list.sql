-- Purpose: record which version of an exclusion list is loaded (file hash, counts, time).
-- Grain:   one row per list, replaced on every load. Parameters: $lijst, $sha256, $bestand,
--          $personen, $adressen, $sleutelversie, $nu.
-- Personal data: none.
INSERT OR REPLACE INTO exclusion_lists
VALUES ($lijst, $sha256, $bestand, $personen, $adressen, $sleutelversie, $nu);
