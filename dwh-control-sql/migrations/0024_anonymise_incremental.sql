-- Incremental set-mode builds (src/anonymise/incrementalBuild.ts): each published build records the highest bronze
-- _dwh_run_id it read (read before the build, so everything up to it is in the build), so the next build can
-- anonymise only what was loaded since; build_note says why a requested incremental build was a full one. Mode
-- 'incremental' marks runs that merged an increment.
ALTER TABLE dwh_control.anonymise_runs ADD COLUMN IF NOT EXISTS input_watermark bigint;
ALTER TABLE dwh_control.anonymise_runs ADD COLUMN IF NOT EXISTS build_note text;
-- Loaded extract runs of the input table with run_id <= input_watermark when the build read it: if that number grows,
-- an older run was loaded since (a CSV replayed by hand), its rows carry a run id below the watermark, and only a full
-- rebuild picks them up.
ALTER TABLE dwh_control.anonymise_runs ADD COLUMN IF NOT EXISTS input_loaded_runs bigint;
ALTER TABLE dwh_control.anonymise_runs DROP CONSTRAINT IF EXISTS anonymise_runs_mode_check;
ALTER TABLE dwh_control.anonymise_runs ADD CONSTRAINT anonymise_runs_mode_check CHECK (mode IN ('set', 'rotation', 'items', 'incremental'));
