-- Reconcile on a schedule, and erasure of personal data deleted at the source (issue 17).
--   source_tables.reconcile_cadence  how often the scheduled reconcile (workflows/dwh-reconcile-scheduled.json) compares
--                                    the table with its source; NULL: never on the schedule (snapshot tables, or opted out)
--   reconcile_findings.action        + 'erased': a row deleted at the source, in a table whose anonymisation policy names
--                                    a subject column, lost its personal columns in bronze (and was marked deleted)
--   reconcile_runs.erased_in_bronze  how many such rows a repair erased (counts only, like the other counts)
-- Idempotent: safe to run on a warehouse that already has part of it.
ALTER TABLE dwh_control.source_tables ADD COLUMN IF NOT EXISTS reconcile_cadence interval;

ALTER TABLE dwh_control.reconcile_runs ADD COLUMN IF NOT EXISTS erased_in_bronze bigint;

ALTER TABLE dwh_control.reconcile_findings DROP CONSTRAINT IF EXISTS reconcile_findings_action_check;
ALTER TABLE dwh_control.reconcile_findings ADD CONSTRAINT reconcile_findings_action_check
    CHECK (action IN ('reported', 'reextracted', 'marked_deleted', 'deleted', 'erased'));
