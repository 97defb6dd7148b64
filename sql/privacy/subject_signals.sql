-- Purpose: subject access: the facts of a person's signals (what the warehouse holds about them).
-- Grain:   one row per signal. Inputs: signals; wanted (signaal_pseudoniem) registered from the
--          vault records found for the person.
-- Personal data: none in clear (pseudonymised facts); shown only to the privacy officer answering
--          the request, after re-identification was logged.
SELECT
    s.partner_id, s.partner_type, s.signaaldatum, s.ontstaansdatum, s.bedrag_cent, s.crisis,
    s.wijkteam, s.leeftijdsgroep, s.levering_id, s.geladen_op, s.versie
FROM signals AS s
JOIN wanted AS w USING (signaal_pseudoniem)
ORDER BY s.signaaldatum, s.partner_id;
