-- Ownership and grants for the objects of 0020 and 0021, as 0003 does for the control schema: the owner role owns
-- them (n8n_etl works through its membership), the read-only role sees the run log and the RTBF audit (Grafana's
-- compliance panels) but not the salt register. intermediate.* tables are created per run by the ETL login; who
-- may read them (dbt's login, never the apps) is granted by the DBA — docs/anonymise.md.

ALTER SCHEMA intermediate OWNER TO dwh_owner;
ALTER TABLE dwh_control.ip_geo_ranges OWNER TO dwh_owner;
ALTER TABLE dwh_control.anonymise_salts OWNER TO dwh_owner;
ALTER TABLE dwh_control.salt_rotations OWNER TO dwh_owner;
ALTER TABLE dwh_control.anonymise_runs OWNER TO dwh_owner;
ALTER TABLE dwh_control.rtbf_requests OWNER TO dwh_owner;
ALTER TABLE dwh_control.rtbf_actions OWNER TO dwh_owner;
ALTER TABLE dwh_control.rtbf_subjects OWNER TO dwh_owner;
ALTER VIEW dwh_control.rtbf_sla OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.age_band(date, date) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.postcode_area(text) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.device_class(text, int, int) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.try_inet(text) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.address_parts(text, text[], text) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.check_anonymise_run_transition() OWNER TO dwh_owner;

GRANT SELECT ON dwh_control.anonymise_runs, dwh_control.salt_rotations, dwh_control.rtbf_requests,
    dwh_control.rtbf_actions, dwh_control.rtbf_sla TO dwh_readonly;
REVOKE ALL ON dwh_control.anonymise_salts, dwh_control.rtbf_subjects FROM PUBLIC;
