-- Purpose: the signals of a reporting window with what became of them in the current run of
--          their period, for the DDAS export, the monitor and the partner feedback.
-- Grain:   one row per signal with signaaldatum in [$van, $tot], plus the signals in $extra (a
--          case's signals may predate the window).
--          Parameters: $van, $tot (dates, inclusive), $run_ids (the current run of each period),
--          $extra (signal pseudonyms of the window's cases).
-- Inputs:  signals, household_scores.
-- Personal data: none in clear (pseudonyms, dates and amounts of arrears).
WITH counted AS (
    -- The signals that put a household on a published list (bezoeklijst or wachtlijst).
    SELECT h.run_id, h.huishouden_pseudoniem, u.signaal_pseudoniem
    FROM household_scores AS h
    CROSS JOIN unnest(h.signaal_pseudoniemen) AS u(signaal_pseudoniem)
    WHERE list_contains($run_ids, h.run_id)
      AND h.op_lijst
),

verdicts AS (
    -- The household's outcome in the run of the signal's month (why it was not listed).
    SELECT run_id, periode, huishouden_pseudoniem, status, uitsluiting, op_lijst
    FROM household_scores
    WHERE list_contains($run_ids, run_id)
),

wanted AS (
    SELECT s.*
    FROM signals AS s
    WHERE s.signaaldatum BETWEEN $van AND $tot
       OR list_contains($extra, s.signaal_pseudoniem)
),

final AS (
    SELECT
        w.signaal_pseudoniem,
        w.huishouden_pseudoniem,
        w.partner_id,
        w.partner_type,
        w.signaaldatum,
        w.ontstaansdatum,
        w.bedrag_cent,
        w.crisis,
        w.wijkteam,
        c.run_id                                   AS op_lijst_in_run,
        v.run_id                                   AS run_id,
        v.status                                   AS huishouden_status,
        v.uitsluiting                              AS uitsluiting
    FROM wanted AS w
    LEFT JOIN counted AS c USING (signaal_pseudoniem)
    -- A counted signal's household is the one it counted for (the BRP's address object may
    -- have merged its own address's household into another); w's own household is kept, as
    -- the vault keeps its identity there.
    LEFT JOIN verdicts AS v
        ON v.huishouden_pseudoniem = coalesce(c.huishouden_pseudoniem, w.huishouden_pseudoniem)
       AND v.periode = strftime(w.signaaldatum, '%Y-%m')
    -- A signal counted in two runs (overlapping periods of several months): the newest run.
    QUALIFY row_number() OVER (PARTITION BY w.signaal_pseudoniem
                               ORDER BY c.run_id DESC NULLS LAST, v.run_id DESC NULLS LAST) = 1
)

SELECT *
FROM final
ORDER BY signaaldatum, signaal_pseudoniem;
