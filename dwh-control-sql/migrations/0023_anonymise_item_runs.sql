-- Anonymise Items (n8n items, not a relation) is logged in anonymise_runs too, with mode 'items': which policy
-- version and salt versions anonymised how many rows for which execution, so the audit trail covers every path
-- personal data takes through the compliance gate, not only the set-based builds. Input and output relations are
-- 'n8n items'; rows_in - rows_out are the rows dropped because their subject was forgotten.
ALTER TABLE dwh_control.anonymise_runs DROP CONSTRAINT IF EXISTS anonymise_runs_mode_check;
ALTER TABLE dwh_control.anonymise_runs ADD CONSTRAINT anonymise_runs_mode_check CHECK (mode IN ('set', 'rotation', 'items'));
