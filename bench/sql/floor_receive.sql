-- Purpose: floor of "receive": hash the delivery's bytes and keep them encrypted at rest.
-- Grain:   one row per delivery file. Inputs: the file ($path). Output: archive.deliveries.
-- Personal data: the raw delivery, only inside the encrypted attached database `archive`.
CREATE TABLE archive.deliveries AS
SELECT sha256(content) AS sha256, octet_length(content) AS bytes, content
FROM read_blob($path);
