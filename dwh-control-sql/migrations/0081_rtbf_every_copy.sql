-- Right-to-be-forgotten reaches every copy (issue 12): besides raw/staging and the policies' own intermediate
-- outputs, Forget Users now removes the person from every relation that carries their hash (Enrich's enr_*, marts,
-- analytics_db's push targets — found in the catalog), and keeps legally held records unlinked. The audit names
-- each place with its count, so the action list grows:
--   unlinked       the person's hash set to NULL in a row that belongs to someone else (a payment's receiver)
--   held_unlinked  legal hold (design doc §6.7, FICA): the anonymised record is kept, its subject hash set to NULL
--   view_follows   a view outside raw/staging: it shows its base tables, from which the person was deleted
--   refreshed      a materialized view refreshed after its base tables lost the person
-- and `note` says why (the hold's basis and until when, the database of a place outside the warehouse).

ALTER TABLE dwh_control.rtbf_actions ADD COLUMN IF NOT EXISTS note text;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'dwh_control.rtbf_actions'::regclass AND conname = 'rtbf_actions_action_check') THEN
        ALTER TABLE dwh_control.rtbf_actions DROP CONSTRAINT rtbf_actions_action_check;
    END IF;
END
$$;
ALTER TABLE dwh_control.rtbf_actions ADD CONSTRAINT rtbf_actions_action_check
    CHECK (action IN ('deleted', 'view_follows_raw', 'absent', 'vault_purged', 'unlinked', 'held_unlinked', 'view_follows', 'refreshed'));
