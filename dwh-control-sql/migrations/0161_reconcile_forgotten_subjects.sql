-- Reconcile and right-to-be-forgotten (issue 17): a person Forget Users removed from bronze may still be at the source
-- (the apps soft-delete users, design §6.8), so their rows look "missing in bronze" to a reconcile, and a repair would
-- bring them back. The reconcile now checks such keys against the forget register (rtbf_subjects holds HMACs only;
-- the ETL login computes the HMAC of the row's subject with the anonymisation-secrets key and never stores it).
--   rtbf_subjects                      readable by dwh_etl (HMACs of forgotten people, no ids)
--   reconcile_runs.forgotten_subjects  differing keys whose subject is a forgotten person: neither reported nor
--                                      re-extracted (counts only)
ALTER TABLE dwh_control.reconcile_runs ADD COLUMN IF NOT EXISTS forgotten_subjects bigint;
GRANT SELECT ON dwh_control.rtbf_subjects TO dwh_etl;
