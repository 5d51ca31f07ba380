-- The n8n execution that loaded a run (or last tried to), beside the one that extracted it: when a load is
-- replayed by hand from the dwh-load-bronze workflow, the run log must say which execution did it.
ALTER TABLE dwh_control.extract_runs ADD COLUMN IF NOT EXISTS load_execution_id text;
