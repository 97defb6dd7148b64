-- Purpose: match one period's signals into households and score them with the transparent points
--          model (docs/scoring.md): which signals count, the points per rule, the outcome per
--          household (bezoeklijst, wachtlijst or the reason it is not listed) and its rank.
-- Grain:   one row per household (pseudonymised address) with at least one signal in the period.
-- Inputs:  signals, signal_updates, exclusion_entries, brp_facts (of this run; empty when the
--          BRP link is off or the BRP did not answer); registered from the configuration by
--          scoring.rules: type_rules (partner_type, punten, maandbedrag_cent, min_dagen,
--          max_dagen, min_bedrag_cent; partner_type '*' for other types), exclusion_rules (lijst,
--          reikwijdte, geldig_maanden), age_rules (leeftijdsgroep, punten, minimum_cent),
--          capacities (wijkteam, capaciteit).
--          Parameters: $run_id, $periode, $begin, $einde (exclusive), $peildatum (last day),
--          $terugkijk_begin, $minimum_cent, $punten_per_maandbedrag, $max_bedragpunten,
--          $punten_per_maand, $max_duurpunten, $meervoudig_punten, $opeenvolgend_punten,
--          $crisis_punten, $crisis_telt_mee, $minderjarigen_punten, $alle_huishoudens.
--          scope_households (huishouden_pseudoniem): with $alle_huishoudens false, only these
--          households are scored (the crisis lane, flows/crisis.py). A household's row does not
--          depend on other households' signals, so it is the row the monthly run gives it; only
--          its rank among the scored ones differs (the crisis lane ranks its additions itself).
-- Personal data: none in clear (pseudonyms). Columns of `signals` read here are registered in
--          scoring/features.py (a test checks it): no attribute outside that allow-list.
INSERT INTO household_scores BY NAME
WITH source AS (
    -- The period's signals, each with the listing rules of its partner type.
    SELECT
        s.signaal_pseudoniem,
        s.huishouden_pseudoniem,
        s.persoon_pseudoniem,
        s.partner_id,
        s.partner_type,
        s.signaaldatum,
        s.ontstaansdatum,
        s.bedrag_cent,
        s.crisis,
        s.wijkteam,
        s.leeftijdsgroep,
        r.punten            AS type_punten,
        r.maandbedrag_cent,
        r.min_dagen,
        r.max_dagen,
        r.min_bedrag_cent,
        (s.signaaldatum - s.ontstaansdatum)::INTEGER AS dagen,
        -- What the BRP said about this signal's person in this run (NULL: not asked).
        CASE WHEN b.overleden THEN 'BRP: overleden'
             WHEN b.buiten_gemeente THEN 'BRP: buiten de gemeente' END AS brp_uitsluiting,
        b.ingeschreven_op_adres AS brp_op_adres,
        b.minderjarigen         AS brp_minderjarigen
    FROM signals AS s
    JOIN type_rules AS r
      ON r.partner_type = CASE
             WHEN s.partner_type IN (SELECT partner_type FROM type_rules) THEN s.partner_type
             ELSE '*' END
    LEFT JOIN brp_facts AS b
      ON b.run_id = $run_id AND b.signaal_pseudoniem = s.signaal_pseudoniem
    WHERE s.signaaldatum >= $begin AND s.signaaldatum < $einde
      AND ($alle_huishoudens
           OR s.huishouden_pseudoniem IN (SELECT huishouden_pseudoniem FROM scope_households))
),

active_exclusions AS (
    -- Entries of configured lists that apply to this period: dated on or before its last day,
    -- not expired before it began, and (for lists with a term) less than N months old.
    SELECT e.lijst, e.sleutelsoort, e.pseudoniem, x.reikwijdte
    FROM exclusion_entries AS e
    JOIN exclusion_rules AS x USING (lijst)
    WHERE (e.datum IS NULL OR e.datum <= $peildatum)
      AND (e.geldig_tot IS NULL OR e.geldig_tot >= $begin)
      AND (x.geldig_maanden IS NULL OR e.datum IS NULL
           OR $peildatum < e.datum + to_months(x.geldig_maanden))
),

excluded_people AS (
    -- Signals about a listed person.
    SELECT s.signaal_pseudoniem, s.huishouden_pseudoniem, a.lijst, a.reikwijdte
    FROM source AS s
    JOIN active_exclusions AS a
      ON a.sleutelsoort = 'persoon' AND a.pseudoniem = s.persoon_pseudoniem
),

excluded_households AS (
    -- A listed address, or a listed person on a list whose scope is the whole household.
    SELECT huishouden_pseudoniem, string_agg(DISTINCT lijst, ', ' ORDER BY lijst) AS lijsten
    FROM (
        SELECT a.pseudoniem AS huishouden_pseudoniem, a.lijst
        FROM active_exclusions AS a
        WHERE a.sleutelsoort = 'huishouden'
        UNION ALL
        SELECT huishouden_pseudoniem, lijst
        FROM excluded_people
        WHERE reikwijdte = 'huishouden'
    )
    GROUP BY huishouden_pseudoniem
),

excluded_signals AS (
    -- A listed person on a list whose scope is the person: only their own signals drop out;
    -- so do the signals of a person the BRP says died or lives outside the municipality.
    SELECT signaal_pseudoniem, string_agg(DISTINCT lijst, ', ' ORDER BY lijst) AS lijsten
    FROM (
        SELECT signaal_pseudoniem, lijst FROM excluded_people WHERE reikwijdte = 'persoon'
        UNION ALL
        SELECT signaal_pseudoniem, brp_uitsluiting FROM source WHERE brp_uitsluiting IS NOT NULL
    )
    GROUP BY signaal_pseudoniem
),

earlier AS (
    -- Earlier signals of the same arrears, dated before the period: same partner and same start
    -- of the arrears, at the same address or about the same person (who may have moved) ...
    SELECT s.signaal_pseudoniem, e.signaaldatum, e.bedrag_cent, e.crisis
    FROM source AS s
    JOIN signals AS e
      ON e.partner_id = s.partner_id AND e.ontstaansdatum = s.ontstaansdatum
     AND e.huishouden_pseudoniem = s.huishouden_pseudoniem
    WHERE e.signaaldatum < $begin
    UNION
    SELECT s.signaal_pseudoniem, e.signaaldatum, e.bedrag_cent, e.crisis
    FROM source AS s
    JOIN signals AS e
      ON e.partner_id = s.partner_id AND e.ontstaansdatum = s.ontstaansdatum
     AND e.persoon_pseudoniem = s.persoon_pseudoniem
    WHERE e.signaaldatum < $begin
    UNION
    -- ... or this very signal (same signaal_id) as it was before a re-send updated it.
    SELECT u.signaal_pseudoniem, u.oud_signaaldatum, u.oud_bedrag_cent, u.oud_crisis
    FROM signal_updates AS u
    JOIN source AS s USING (signaal_pseudoniem)
    WHERE u.oud_signaaldatum < $begin
),

previous_version AS (
    -- The latest earlier signal of the same arrears (highest amount on the same day).
    SELECT signaal_pseudoniem, bedrag_cent AS vorig_bedrag_cent, crisis AS vorig_crisis
    FROM (
        SELECT *, row_number() OVER (
            PARTITION BY signaal_pseudoniem
            ORDER BY signaaldatum DESC, bedrag_cent DESC, crisis DESC) AS nr
        FROM earlier
    )
    WHERE nr = 1
),

per_signal AS (
    SELECT
        s.*,
        -- Within the period, the newest signal of the same arrears stands for it.
        row_number() OVER (
            PARTITION BY s.partner_id, s.huishouden_pseudoniem, s.ontstaansdatum
            ORDER BY s.signaaldatum DESC, s.bedrag_cent DESC, s.crisis DESC,
                     s.signaal_pseudoniem) AS nieuwste,
        p.vorig_bedrag_cent,
        p.vorig_crisis,
        xh.lijsten AS huishouden_lijsten,
        xs.lijsten AS signaal_lijsten
    FROM source AS s
    LEFT JOIN previous_version AS p USING (signaal_pseudoniem)
    LEFT JOIN excluded_households AS xh USING (huishouden_pseudoniem)
    LEFT JOIN excluded_signals AS xs USING (signaal_pseudoniem)
),

classified AS (
    SELECT
        *,
        CASE
            WHEN huishouden_lijsten IS NOT NULL OR signaal_lijsten IS NOT NULL THEN 'uitgesloten'
            WHEN nieuwste > 1 THEN 'vervangen'
            -- Same arrears as before, and the amount did not rise (nor did it become a crisis).
            WHEN vorig_bedrag_cent IS NOT NULL AND bedrag_cent <= vorig_bedrag_cent
                 AND NOT (crisis AND NOT vorig_crisis) THEN 'herhaling'
            WHEN NOT crisis AND (dagen < min_dagen OR dagen > max_dagen) THEN 'buiten_termijn'
            WHEN NOT crisis AND bedrag_cent < min_bedrag_cent THEN 'onder_minimum'
            ELSE 'telt'
        END AS signaalstatus,
        (vorig_bedrag_cent IS NOT NULL AND bedrag_cent > vorig_bedrag_cent) AS gestegen
    FROM per_signal
),

households AS (
    SELECT
        huishouden_pseudoniem,
        -- All signals of one address share its postcode, hence its wijkteam.
        min(wijkteam)                                                   AS wijkteam,
        count(*) FILTER (WHERE signaalstatus = 'telt')::INTEGER         AS signalen,
        -- Sorted with list_sort, not an ordered aggregate: much faster on many households.
        coalesce(list_sort(list(signaal_pseudoniem) FILTER (WHERE signaalstatus = 'telt')), [])
                                                                        AS signaal_pseudoniemen,
        count(*)::INTEGER                                               AS signalen_periode,
        count(*) FILTER (WHERE signaalstatus = 'herhaling')::INTEGER    AS signalen_herhaling,
        count(*) FILTER (WHERE signaalstatus = 'vervangen')::INTEGER    AS signalen_vervangen,
        count(*) FILTER (WHERE signaalstatus = 'buiten_termijn')::INTEGER
                                                                        AS signalen_buiten_termijn,
        count(*) FILTER (WHERE signaalstatus = 'onder_minimum')::INTEGER
                                                                        AS signalen_onder_minimum,
        count(*) FILTER (WHERE signaalstatus = 'uitgesloten')::INTEGER  AS signalen_uitgesloten,
        min(coalesce(huishouden_lijsten, signaal_lijsten))              AS uitsluiting,
        bool_or(huishouden_lijsten IS NOT NULL)                         AS huishouden_uitgesloten,
        coalesce(list_sort(list_distinct(list(partner_type)
                 FILTER (WHERE signaalstatus = 'telt'))), [])           AS partnertypes,
        count(DISTINCT partner_type) FILTER (WHERE signaalstatus = 'telt')::INTEGER
                                                                        AS aantal_partnertypes,
        -- Points per partner type present, highest first (the sort key puts them in order).
        coalesce(list_transform(
            list_sort(list_distinct(list(
                {'k': lpad((100000 - type_punten)::VARCHAR, 6, '0') || partner_type,
                 'partner_type': partner_type, 'punten': type_punten::INTEGER})
                FILTER (WHERE signaalstatus = 'telt'))),
            x -> {'partner_type': x.partner_type, 'punten': x.punten}), [])
                                                                        AS punten_partnertype,
        coalesce(sum(bedrag_cent) FILTER (WHERE signaalstatus = 'telt'), 0)::BIGINT
                                                                        AS totaal_bedrag_cent,
        -- Integer thousandths of a monthly bill per signal: exact and the same on every machine.
        coalesce(sum(bedrag_cent * 1000 // maandbedrag_cent)
                 FILTER (WHERE signaalstatus = 'telt'), 0)::BIGINT      AS maandbedragen_mille,
        min(ontstaansdatum) FILTER (WHERE signaalstatus = 'telt')       AS oudste_ontstaansdatum,
        min(signaaldatum) FILTER (WHERE signaalstatus = 'telt')         AS eerste_signaaldatum,
        coalesce(bool_or(crisis) FILTER (WHERE signaalstatus = 'telt'), false)
                                                                        AS crisis,
        coalesce(bool_or(gestegen) FILTER (WHERE signaalstatus = 'telt'), false)
                                                                        AS bedrag_gestegen,
        coalesce(list_sort(list_distinct(list(leeftijdsgroep)
                 FILTER (WHERE signaalstatus = 'telt' AND leeftijdsgroep IS NOT NULL))), [])
                                                                        AS leeftijdsgroepen,
        -- The BRP: minors at the address (NULL: not asked), and a counted signal's person not
        -- registered at the address (a reason, never an exclusion: people live unregistered).
        max(brp_minderjarigen) FILTER (WHERE signaalstatus = 'telt')    AS brp_minderjarigen,
        coalesce(bool_or(NOT brp_op_adres) FILTER (WHERE signaalstatus = 'telt'), false)
                                                                        AS niet_op_adres
    FROM classified
    GROUP BY huishouden_pseudoniem
),

previous_signal AS (
    -- Opeenvolgend: the latest signal at the address in the months before the period.
    SELECT e.huishouden_pseudoniem, max(e.signaaldatum) AS vorig_signaal
    FROM signals AS e
    WHERE e.signaaldatum >= $terugkijk_begin AND e.signaaldatum < $begin
      AND e.huishouden_pseudoniem IN (SELECT huishouden_pseudoniem FROM households)
    GROUP BY e.huishouden_pseudoniem
),

age AS (
    -- Optional age-group rules (empty unless the configuration allows age_group).
    SELECT
        h.huishouden_pseudoniem,
        coalesce(max(a.punten), 0)::INTEGER AS punten_leeftijd,
        min(a.minimum_cent)                 AS leeftijd_minimum_cent
    FROM households AS h
    CROSS JOIN unnest(h.leeftijdsgroepen) AS g(leeftijdsgroep)
    JOIN age_rules AS a USING (leeftijdsgroep)
    GROUP BY h.huishouden_pseudoniem
),

scored AS (
    SELECT
        h.*,
        p.vorig_signaal,
        CASE WHEN h.oudste_ontstaansdatum IS NULL THEN 0
             ELSE greatest(date_sub('month', h.oudste_ontstaansdatum, $peildatum), 0)
        END::INTEGER                                                    AS maanden_achterstand,
        least(h.maandbedragen_mille * $punten_per_maandbedrag // 1000,
              $max_bedragpunten)::INTEGER                               AS punten_bedrag,
        greatest(h.aantal_partnertypes - 1, 0) * $meervoudig_punten     AS punten_meervoudig,
        CASE WHEN p.vorig_signaal IS NOT NULL AND h.signalen > 0
             THEN $opeenvolgend_punten ELSE 0 END                       AS punten_opeenvolgend,
        CASE WHEN h.crisis THEN $crisis_punten ELSE 0 END               AS punten_crisis,
        CASE WHEN h.signalen > 0 THEN coalesce(a.punten_leeftijd, 0) ELSE 0 END
                                                                        AS punten_leeftijd,
        CASE WHEN h.signalen > 0 AND h.brp_minderjarigen > 0 THEN $minderjarigen_punten
             ELSE 0 END::INTEGER                                        AS punten_minderjarigen,
        coalesce(a.leeftijd_minimum_cent, $minimum_cent)::BIGINT        AS minimum_cent
    FROM households AS h
    LEFT JOIN previous_signal AS p USING (huishouden_pseudoniem)
    LEFT JOIN age AS a USING (huishouden_pseudoniem)
),

totals AS (
    SELECT
        *,
        least(maanden_achterstand * $punten_per_maand, $max_duurpunten)::INTEGER AS punten_duur
    FROM scored
),

outcome AS (
    SELECT
        *,
        (coalesce(list_sum(list_transform(punten_partnertype, x -> x.punten)), 0)
            + punten_bedrag + punten_duur + punten_meervoudig + punten_opeenvolgend
            + punten_crisis + punten_leeftijd + punten_minderjarigen)::INTEGER
                                                                        AS score,
        CASE
            WHEN huishouden_uitgesloten THEN 'uitgesloten'
            WHEN signalen = 0 AND signalen_uitgesloten > 0 THEN 'uitgesloten'
            WHEN signalen = 0 AND signalen_herhaling > 0 THEN 'herhaling'
            WHEN signalen = 0 AND signalen_buiten_termijn > 0 THEN 'buiten_termijn'
            -- Only signals below their type's minimum (or superseded ones): below a threshold.
            WHEN signalen = 0 THEN 'onder_drempel'
            -- Crisis households are always listed; others from the minimum amount up.
            WHEN NOT crisis AND totaal_bedrag_cent < minimum_cent THEN 'onder_drempel'
            ELSE 'lijst'
        END AS uitkomst,
        -- The last tie-break: a draw fixed for the period, never the order of pseudonyms
        -- (which change when the key is rotated).
        md5($periode || huishouden_pseudoniem) AS loting
    FROM totals
),

ranking AS (
    -- Crisis first, then score; ties: the oldest arrears, then the earliest signal, then the
    -- draw. Ranked on the narrow key columns only (a window over the wide rows is slow).
    SELECT
        huishouden_pseudoniem,
        row_number() OVER (
            PARTITION BY wijkteam, uitkomst
            ORDER BY crisis DESC, score DESC, oudste_ontstaansdatum, eerste_signaaldatum,
                     loting)                                            AS plaats,
        -- sum(), not count(*) FILTER: the latter is many times slower as a window function.
        sum(crisis::INTEGER) OVER (PARTITION BY wijkteam, uitkomst)    AS crisis_team
    FROM outcome
),

ranked AS (
    SELECT o.*, r.plaats, r.crisis_team, c.capaciteit
    FROM outcome AS o
    JOIN ranking AS r USING (huishouden_pseudoniem)
    LEFT JOIN capacities AS c USING (wijkteam)
),

final AS (
    SELECT
        *,
        CASE
            WHEN uitkomst <> 'lijst' THEN NULL
            WHEN crisis THEN 'bezoeklijst'
            WHEN capaciteit IS NULL THEN 'bezoeklijst'
            -- Crisis households come first, so a regular household's place among the regular
            -- ones is its place minus the team's crisis households.
            WHEN plaats - crisis_team
                 <= capaciteit - CASE WHEN $crisis_telt_mee THEN crisis_team ELSE 0 END
                THEN 'bezoeklijst'
            ELSE 'wachtlijst'
        END AS sectie
    FROM ranked
)

SELECT
    $run_id AS run_id,
    $periode AS periode,
    huishouden_pseudoniem,
    wijkteam,
    signalen,
    signaal_pseudoniemen,
    signalen_periode,
    signalen_herhaling,
    signalen_vervangen,
    signalen_buiten_termijn,
    signalen_onder_minimum,
    signalen_uitgesloten,
    uitsluiting,
    partnertypes,
    totaal_bedrag_cent,
    maandbedragen_mille,
    oudste_ontstaansdatum,
    eerste_signaaldatum,
    maanden_achterstand,
    vorig_signaal,
    bedrag_gestegen,
    crisis,
    leeftijdsgroepen,
    punten_partnertype,
    punten_bedrag,
    punten_duur,
    punten_meervoudig,
    punten_opeenvolgend,
    punten_crisis,
    punten_leeftijd,
    punten_minderjarigen,
    brp_minderjarigen > 0 AS minderjarigen,
    niet_op_adres,
    score,
    minimum_cent,
    coalesce(sectie, uitkomst) AS status,
    CASE WHEN uitkomst = 'lijst' THEN plaats END::INTEGER AS rang,
    sectie,
    -- Published: on the bezoeklijst or the wachtlijst (both are written and re-identified).
    sectie IS NOT NULL AS op_lijst
FROM final;
