-- Purpose: the counts a run reports: households matched, on a bezoeklijst or wachtlijst, crisis
--          households, and households and signals left off by each rule.
-- Grain:   one row for the run. Parameters: $run_id.
-- Personal data: none.
SELECT
    count(*)                                                   AS huishoudens,
    count(*) FILTER (WHERE status = 'bezoeklijst')             AS op_lijst,
    count(*) FILTER (WHERE status = 'wachtlijst')              AS wachtlijst,
    count(*) FILTER (WHERE sectie IS NOT NULL AND crisis)      AS crisis,
    count(*) FILTER (WHERE status = 'onder_drempel')           AS onder_drempel,
    count(*) FILTER (WHERE status = 'herhaling')               AS herhaling,
    count(*) FILTER (WHERE status = 'buiten_termijn')          AS buiten_termijn,
    count(*) FILTER (WHERE status = 'uitgesloten')             AS uitgesloten,
    coalesce(sum(signalen_periode), 0)::INTEGER                AS signalen,
    coalesce(sum(signalen), 0)::INTEGER                        AS signalen_geteld,
    coalesce(sum(signalen_herhaling), 0)::INTEGER              AS signalen_herhaling,
    coalesce(sum(signalen_uitgesloten), 0)::INTEGER            AS signalen_uitgesloten
FROM household_scores
WHERE run_id = $run_id;
