-- v_chain_dbt_pending (0150) compared each selector with the elements of dbt_runs.selection, but the DbtRun node
-- records its Select field as written: one element holding every selector separated by spaces
-- ('source:auth_db.users+ source:ledger_db.transactions+'). Measured in the chain's e2e run: every table stayed
-- pending and dbt rebuilt everything on every tick. Compare with the selection's words instead.
CREATE OR REPLACE VIEW dwh_control.v_chain_dbt_pending AS
SELECT s.table_name, s.source_db, s.source_table,
       ('source:' || s.source_db || '.' || s.source_table || '+')::text AS dbt_selector,
       a.changed_at
  FROM dwh_control.source_tables s
  JOIN LATERAL (SELECT max(r.run_finished_at) AS changed_at
                  FROM dwh_control.anonymise_runs r
                 WHERE r.input_relation = 'raw.' || s.table_name AND r.status = 'published'
                   AND r.mode IN ('set', 'rotation', 'incremental') AND coalesce(r.rows_out, 1) > 0) a ON true
 WHERE s.enabled AND a.changed_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM dwh_control.dbt_runs d
                    WHERE d.status = 'success' AND d.command IN ('build', 'run') AND d.started_at > a.changed_at
                      AND (array_to_string(d.selection, ' ') ~ '^\s*$'
                           OR ('source:' || s.source_db || '.' || s.source_table || '+')
                              = ANY (regexp_split_to_array(btrim(array_to_string(d.selection, ' ')), '\s+'))));

ALTER VIEW dwh_control.v_chain_dbt_pending OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_chain_dbt_pending FROM PUBLIC;
GRANT SELECT ON dwh_control.v_chain_dbt_pending TO dwh_readonly;
