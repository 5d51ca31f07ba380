import pg from 'pg';
import { warehouseInTransaction, type WarehouseTransaction } from '../../harness/migratedWarehouse';

let wh: WarehouseTransaction;
let client: pg.PoolClient;
const HMAC = (c: string) => c.repeat(64);

/** One planted problem (and one healed look-alike) per stage, inside one transaction so now() is exact. */
beforeAll(async () => {
	wh = await warehouseInTransaction(
		'ctl_alerts',
		2,
		`
		INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence, enabled)
		VALUES ('x_db__fresh', 'x_db', 'fresh', 'incremental', 'append', 'created_at', '{id}', '1 hour', true),
		       ('x_db__stale', 'x_db', 'stale', 'incremental', 'append', 'created_at', '{id}', '5 minutes', true);
		INSERT INTO dwh_control.extract_watermarks (table_name, last_extracted_at, last_loaded_at)
		VALUES ('x_db__fresh', now() - interval '3 minutes', now() - interval '2 minutes'),
		       ('x_db__stale', now() - interval '61 minutes', now() - interval '1 hour');
		INSERT INTO dwh_control.extract_runs (table_name, status, mode, run_started_at, run_finished_at, error_message)
		VALUES ('x_db__fresh', 'failed', 'incremental', now() - interval '3 hours', now() - interval '3 hours', 'healed by the next load'),
		       ('x_db__fresh', 'loaded', 'incremental', now() - interval '2 hours', now() - interval '2 hours', NULL),
		       ('x_db__fresh', 'failed', 'incremental', now() - interval '10 minutes', now() - interval '9 minutes', 'S3 down: ECONNREFUSED');

		-- x_db__held loads every 5 minutes, but a prepared transaction has held its window for 2 hours.
		INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence, enabled)
		VALUES ('x_db__held', 'x_db', 'held', 'incremental', 'append', 'created_at', '{id}', '5 minutes', true);
		WITH r AS (
			INSERT INTO dwh_control.extract_runs (table_name, status, mode, window_upper, upper_capped_by, run_started_at, run_finished_at)
			VALUES ('x_db__held', 'loaded', 'incremental', now() - interval '2 hours', 'prepared_transaction', now() - interval '2 minutes', now() - interval '1 minute')
			RETURNING run_id)
		INSERT INTO dwh_control.extract_watermarks (table_name, last_extracted_at, last_loaded_at, last_run_id, rows_loaded_last_run)
		SELECT 'x_db__held', now() - interval '2 hours', now() - interval '1 minute', run_id, 0 FROM r;

		INSERT INTO dwh_control.dbt_runs (run_id, project, command, selection, status, started_at, finished_at, error_message)
		VALUES ('d1', 'dataacuity', 'build', '{tag:hourly}', 'failed', now() - interval '2 hours', now() - interval '2 hours', 'model.dataacuity.x: boom'),
		       ('d2', 'dataacuity', 'build', '{tag:nightly}', 'failed', now() - interval '2 hours', now() - interval '2 hours', 'healed'),
		       ('d3', 'dataacuity', 'build', '{tag:nightly}', 'success', now() - interval '1 hour', now() - interval '1 hour', NULL);

		INSERT INTO dwh_control.anonymise_runs (source_db, source_table, input_relation, output_relation, mode, status, policy_version, as_of_date, run_started_at, pii_findings, error_message)
		VALUES ('auth_db', 'users', 'raw.auth_db__users', 'intermediate.int_auth_db__users', 'set', 'published', 'v1', current_date, now() - interval '2 hours', NULL, NULL),
		       ('auth_db', 'users', 'raw.auth_db__users', 'intermediate.int_auth_db__users', 'set', 'blocked', 'v2', current_date, now() - interval '1 hour', '[{"column": "email", "detector": "email"}]', NULL),
		       ('tagme_db', 'check_ins', 'raw.tagme_db__check_ins', 'intermediate.int_tagme_db__check_ins', 'set', 'failed', 'v1', current_date, now() - interval '2 hours', NULL, 'healed'),
		       ('tagme_db', 'check_ins', 'raw.tagme_db__check_ins', 'intermediate.int_tagme_db__check_ins', 'set', 'published', 'v1', current_date, now() - interval '1 hour', NULL, NULL),
		       ('auth_db', 'users', 'n8n items', 'n8n items', 'items', 'failed', 'v1', current_date, now(), NULL, 'item mode is not a build'),
		       -- x_db__stale: bronze loaded an hour ago, last build 3 hours ago; x_db__fresh: built 5 minutes ago (an older build too).
		       ('x_db', 'stale', 'raw.x_db__stale', 'intermediate.int_x_db__stale', 'incremental', 'published', 'v1', current_date, now() - interval '3 hours', NULL, NULL),
		       ('x_db', 'fresh', 'raw.x_db__fresh', 'intermediate.int_x_db__fresh', 'set', 'published', 'v1', current_date, now() - interval '3 hours', NULL, NULL),
		       ('x_db', 'fresh', 'raw.x_db__fresh', 'intermediate.int_x_db__fresh', 'incremental', 'published', 'v1', current_date, now() - interval '5 minutes', NULL, NULL);

		INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, run_started_at, error_message)
		VALUES ('tagme.user_summary', 'tagme.user_summary', 'query', 'mirror', 'failed', now() - interval '2 hours', 'analytics_db down'),
		       ('tagme.user_summary', 'tagme.user_summary', 'query', 'mirror', 'skipped', now() - interval '1 hour', NULL),
		       ('sdpkt.user_summary', 'sdpkt.user_summary', 'query', 'mirror', 'failed', now() - interval '2 hours', 'healed'),
		       ('sdpkt.user_summary', 'sdpkt.user_summary', 'query', 'mirror', 'pushed', now() - interval '1 hour', NULL);

		INSERT INTO dwh_control.rtbf_requests (request_id, subject_hmac, requested_at, status, error_message)
		VALUES (1, '${HMAC('a')}', now() - interval '2 days', 'partial', 'vault purge failed'),
		       (2, '${HMAC('b')}', now() - interval '3 days', 'failed', 'healed by request 3'),
		       (3, '${HMAC('b')}', now() - interval '2 days', 'completed', NULL),
		       (4, '${HMAC('c')}', now() - interval '28 days', 'running', NULL),
		       (5, '${HMAC('d')}', now() - interval '1 day', 'running', NULL);`,
	);
	client = wh.client;
});
afterAll(async () => {
	await wh?.close();
});

test('v_pipeline_alerts lists each open problem once per stage, and nothing that a later run healed', async () => {
	const { rows } = await client.query(`SELECT area, alert, subject, detail FROM dwh_control.v_pipeline_alerts ORDER BY area, alert, subject`);
	expect(rows).toEqual([
		{
			area: 'anonymise',
			alert: 'anonymise_blocked',
			subject: 'intermediate.int_auth_db__users',
			detail: 'PII check: [{"column": "email", "detector": "email"}]',
		},
		{
			area: 'anonymise',
			alert: 'anonymise_stale',
			subject: 'intermediate.int_x_db__stale',
			detail: expect.stringMatching(/^bronze raw\.x_db__stale loaded at .*, last published build /),
		},
		{ area: 'dbt', alert: 'dbt_failed', subject: 'build tag:hourly', detail: 'model.dataacuity.x: boom' },
		{ area: 'extract', alert: 'extract_failed', subject: 'x_db__fresh', detail: 'S3 down: ECONNREFUSED' },
		{ area: 'extract', alert: 'freshness_stale', subject: 'x_db__stale', detail: expect.stringMatching(/^last load .*, cadence 00:05:00$/) },
		{
			area: 'extract',
			alert: 'watermark_held_back',
			subject: 'x_db__held',
			detail: expect.stringMatching(/^watermark .* is 02:00:00 behind although loads run; the last run was capped by prepared_transaction$/),
		},
		{ area: 'pushback', alert: 'push_failed', subject: 'tagme.user_summary', detail: 'analytics_db down' },
		{ area: 'rtbf', alert: 'rtbf_partial', subject: 'request 1', detail: 'vault purge failed (2.00 days open)' },
		{ area: 'rtbf', alert: 'rtbf_sla_at_risk', subject: 'request 4', detail: '(28.00 days open)' },
	]);
});

test('the read-only role (dashboards) can read it', async () => {
	await client.query('SAVEPOINT ro');
	await client.query('SET LOCAL ROLE dwh_readonly');
	const { rows } = await client.query(`SELECT count(*)::int AS n FROM dwh_control.v_pipeline_alerts`);
	expect(rows[0].n).toBe(9);
	await client.query('ROLLBACK TO SAVEPOINT ro');
});

test('v_pipeline_alerts_by_severity: the PII block and the stale table page (P1), everything else is a ticket (P2); dwh_readonly reads it', async () => {
	await client.query('SAVEPOINT ro');
	await client.query('SET LOCAL ROLE dwh_readonly');
	const { rows } = await client.query(`SELECT severity, alert, subject FROM dwh_control.v_pipeline_alerts_by_severity ORDER BY severity, alert, subject`);
	await client.query('ROLLBACK TO SAVEPOINT ro');
	expect(rows).toEqual([
		{ severity: 'P1', alert: 'anonymise_blocked', subject: 'intermediate.int_auth_db__users' },
		{ severity: 'P1', alert: 'freshness_stale', subject: 'x_db__stale' },
		{ severity: 'P2', alert: 'anonymise_stale', subject: 'intermediate.int_x_db__stale' },
		{ severity: 'P2', alert: 'dbt_failed', subject: 'build tag:hourly' },
		{ severity: 'P2', alert: 'extract_failed', subject: 'x_db__fresh' },
		{ severity: 'P2', alert: 'push_failed', subject: 'tagme.user_summary' },
		{ severity: 'P2', alert: 'rtbf_partial', subject: 'request 1' },
		{ severity: 'P2', alert: 'rtbf_sla_at_risk', subject: 'request 4' },
		{ severity: 'P2', alert: 'watermark_held_back', subject: 'x_db__held' },
	]);
	// A forget request past the 30-day SLA pages.
	await client.query('SAVEPOINT late');
	await client.query(`UPDATE dwh_control.rtbf_requests SET requested_at = now() - interval '31 days' WHERE request_id = 4`);
	const late = await client.query(`SELECT severity FROM dwh_control.v_pipeline_alerts_by_severity WHERE subject = 'request 4'`);
	await client.query('ROLLBACK TO SAVEPOINT late');
	expect(late.rows).toEqual([{ severity: 'P1' }]);
});
