-- Purpose: floor of "publish", one wijkteam: rank its listed households, re-identify them from
--          the period's identities in the encrypted vault, and return the list in rank order
--          (the caller writes it with COPY ... TO a CSV file).
-- Grain:   one row per listed household of the team. Inputs: wh.scores, wh.signals,
--          vault.identiteiten. Parameters: $wijkteam, $begin, $einde.
-- Personal data: yes (the published list).
SELECT
    l.rang, l.score, p.naam, p.straatnaam, p.postcode, p.huisnummer, p.huisnummertoevoeging,
    p.woonplaats, p.telefoon, array_to_string(l.partnertypes, ', ') AS signalen,
    l.totaal_bedrag_cent / 100 AS totaal_bedrag, CASE WHEN l.crisis THEN 'ja' ELSE 'nee' END AS crisis
FROM (
    SELECT row_number() OVER (ORDER BY crisis DESC, score DESC, totaal_bedrag_cent DESC,
                                       huishouden_pseudoniem) AS rang, *
    FROM wh.scores
    WHERE wijkteam = $wijkteam AND op_lijst
) AS l
LEFT JOIN (
    SELECT
        i.huishouden_pseudoniem,
        string_agg(DISTINCT concat_ws(' ', i.identiteit->>'voornamen', i.identiteit->>'tussenvoegsel',
                                      i.identiteit->>'achternaam'), ' / ')     AS naam,
        arg_max(i.identiteit->>'straatnaam', s.signaaldatum)                   AS straatnaam,
        arg_max(i.identiteit->>'postcode', s.signaaldatum)                     AS postcode,
        arg_max(i.identiteit->>'huisnummer', s.signaaldatum)                   AS huisnummer,
        arg_max(i.identiteit->>'huisnummertoevoeging', s.signaaldatum)         AS huisnummertoevoeging,
        arg_max(i.identiteit->>'woonplaats', s.signaaldatum)                   AS woonplaats,
        string_agg(DISTINCT i.identiteit->>'telefoon', ' / ')                  AS telefoon
    FROM vault.identiteiten AS i
    JOIN wh.signals AS s USING (signaal_pseudoniem)
    JOIN wh.scores AS h ON h.huishouden_pseudoniem = i.huishouden_pseudoniem
    WHERE h.wijkteam = $wijkteam AND h.op_lijst
      AND s.signaaldatum >= $begin AND s.signaaldatum < $einde
    GROUP BY i.huishouden_pseudoniem
) AS p USING (huishouden_pseudoniem)
ORDER BY l.rang
