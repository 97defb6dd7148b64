-- Purpose: remember the signal date a re-sent signal had before its update, so that a re-send of
--          the same signaal_id in a later period can be recognised as the same arrears (and
--          suppressed unless the amount rose, see model/household_scores.sql).
-- Grain:   adds one nullable column to signal_updates (NULL for updates recorded before it).
-- Inputs:  filled by load/record_updates.sql.
-- Personal data: none.
ALTER TABLE signal_updates ADD COLUMN IF NOT EXISTS oud_signaaldatum DATE;
