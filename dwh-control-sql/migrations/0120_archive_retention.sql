-- Archive retention (issue 12 item 2): the CSVs under <prefix>/exports/ and <prefix>/processed/ carry the people
-- Forget Users removes, so they are kept no longer than the registry's retention.archive_days (at most the 30-day
-- erasure SLA). Lifecycle rules on the bucket expire them where the server supports it; the archive sweep
-- (src/control/sweepArchive.ts) deletes them where it does not, and is audited here per table folder per run,
-- next to raw expiry: layer 'exports' / 'processed', objects and bytes removed.

ALTER TABLE dwh_control.retention_runs DROP CONSTRAINT IF EXISTS retention_runs_layer_check;
ALTER TABLE dwh_control.retention_runs ADD CONSTRAINT retention_runs_layer_check CHECK (layer IN ('raw', 'exports', 'processed'));
ALTER TABLE dwh_control.retention_runs ADD COLUMN IF NOT EXISTS objects_removed bigint NOT NULL DEFAULT 0;
ALTER TABLE dwh_control.retention_runs ADD COLUMN IF NOT EXISTS bytes_removed bigint NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS retention_runs_layer ON dwh_control.retention_runs (layer, started_at DESC);
