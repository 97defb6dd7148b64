-- Purpose: the deadline a crisis signal announces (issue 17): the date of an eviction or a
--          disconnection, or the end of supply of an eindeleveringssignaal; NULL when the
--          partner gave none. Shown on the visit list ("vóór 14-11-2026").
-- Personal data: none in clear: a date of an event, tied to a signal pseudonym only.
ALTER TABLE signals ADD COLUMN IF NOT EXISTS uiterste_datum DATE;
