import pg from 'pg';
import { warehouseInTransaction, type WarehouseTransaction } from '../../harness/migratedWarehouse';

let wh: WarehouseTransaction;
let client: pg.PoolClient;

/**
 * Crafted run log, written and read inside one transaction: now() is the transaction's start, so every lag the views
 * compute is exact (10 minutes is '00:10:00', not "about 10 minutes").
 */
beforeAll(async () => {
	wh = await warehouseInTransaction(
		'ctl_views',
		3,
		`
		INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence, enabled)
		VALUES ('x_db__t_ok',       'x_db', 't_ok',       'incremental', 'append', 'created_at', '{id}', '15 minutes', true),
		       ('x_db__t_late',     'x_db', 't_late',     'incremental', 'append', 'created_at', '{id}', '5 minutes',  true),
		       ('x_db__t_stale',    'x_db', 't_stale',    'incremental', 'upsert', 'updated_at', '{id}', '1 hour',     true),
		       ('x_db__t_never',    'x_db', 't_never',    'incremental', 'append', 'created_at', '{id}', '1 hour',     true),
		       ('x_db__t_disabled', 'x_db', 't_disabled', 'incremental', 'append', 'created_at', '{id}', '1 hour',     false);
		INSERT INTO dwh_control.extract_watermarks (table_name, last_extracted_at, last_loaded_at, rows_loaded_last_run, last_run_id)
		VALUES ('x_db__t_ok',       now() - interval '12 minutes', now() - interval '10 minutes', 5, 3),
		       ('x_db__t_late',     now() - interval '16 minutes', now() - interval '15 minutes', 9, NULL),
		       ('x_db__t_stale',    now() - interval '5 hours 2 minutes', now() - interval '5 hours', 1, NULL),
		       ('x_db__t_never',    DEFAULT, NULL, NULL, NULL),
		       ('x_db__t_disabled', now() - interval '10 days', now() - interval '10 days', 0, NULL);
		INSERT INTO dwh_control.extract_runs (run_id, table_name, status, mode, run_started_at, run_finished_at, error_message, csv_path)
		VALUES (1, 'x_db__t_ok',       'loaded',     'incremental', now() - interval '30 hours',   now() - interval '30 hours', NULL, NULL),
		       (2, 'x_db__t_ok',       'failed',     'incremental', now() - interval '61 minutes', now() - interval '60 minutes', 'warehouse down: ECONNREFUSED', 'dataacuity/exports/x_db__t_ok/a.csv'),
		       (3, 'x_db__t_ok',       'loaded',     'incremental', now() - interval '11 minutes', now() - interval '10 minutes', NULL, NULL),
		       (4, 'x_db__t_late',     'loaded',     'incremental', now() - interval '16 minutes', now() - interval '15 minutes', NULL, NULL),
		       (5, 'x_db__t_late',     'extracting', 'incremental', now() - interval '11 minutes', NULL, NULL, NULL),
		       (6, 'x_db__t_stale',    'failed',     'incremental', now() - interval '30 hours',   now() - interval '30 hours', 'too old to report', NULL),
		       (7, 'x_db__t_stale',    'loaded',     'incremental', now() - interval '5 hours 1 minute', now() - interval '5 hours', NULL, NULL),
		       (8, 'x_db__t_stale',    'loading',    'incremental', now() - interval '1 minute',   NULL, NULL, NULL),
		       (9, 'x_db__t_never',    'failed',     'incremental', now() - interval '2 hours',    now() - interval '2 hours', 'CSV row count 99 <> rows extracted 100', 'dataacuity/exports/x_db__t_never/b.csv'),
		       (10, 'x_db__t_disabled', 'loaded',    'incremental', now() - interval '10 days',    now() - interval '10 days', NULL, NULL);
		SELECT setval('dwh_control.extract_runs_run_id_seq', 10);`,
	);
	client = wh.client;
});
afterAll(async () => {
	await wh?.close();
});

test('v_table_freshness: lag since the last load against each table cadence (ok / late / stale / never_loaded / disabled)', async () => {
	const { rows } = await client.query(
		`SELECT table_name, cadence::text, lag::text, loads_last_24h::int, freshness_status, last_loaded_at = now() - lag AS consistent
		   FROM dwh_control.v_table_freshness ORDER BY table_name`,
	);
	expect(rows).toEqual([
		{ table_name: 'x_db__t_disabled', cadence: '01:00:00', lag: '10 days', loads_last_24h: 0, freshness_status: 'disabled', consistent: true },
		{ table_name: 'x_db__t_late', cadence: '00:05:00', lag: '00:15:00', loads_last_24h: 1, freshness_status: 'late', consistent: true },
		{ table_name: 'x_db__t_never', cadence: '01:00:00', lag: null, loads_last_24h: 0, freshness_status: 'never_loaded', consistent: null },
		{ table_name: 'x_db__t_ok', cadence: '00:15:00', lag: '00:10:00', loads_last_24h: 1, freshness_status: 'ok', consistent: true },
		{ table_name: 'x_db__t_stale', cadence: '01:00:00', lag: '05:00:00', loads_last_24h: 1, freshness_status: 'stale', consistent: true },
	]);
});

test('v_recent_failures: failed runs of the last 24 hours with their error text, newest first, and whether a later load healed them', async () => {
	const { rows } = await client.query(`SELECT run_id::int, table_name, error_message, csv_path, recovered FROM dwh_control.v_recent_failures`);
	expect(rows).toEqual([
		{ run_id: 2, table_name: 'x_db__t_ok', error_message: 'warehouse down: ECONNREFUSED', csv_path: 'dataacuity/exports/x_db__t_ok/a.csv', recovered: true },
		{
			run_id: 9,
			table_name: 'x_db__t_never',
			error_message: 'CSV row count 99 <> rows extracted 100',
			csv_path: 'dataacuity/exports/x_db__t_never/b.csv',
			recovered: false,
		},
	]);
});

test('v_watermark_lag: extract_lag = now() - watermark, load lag, and stuck vs running vs idle', async () => {
	const { rows } = await client.query(
		`SELECT table_name, extract_lag::text, load_lag::text, rows_loaded_last_run::int, in_flight_run_id::int, in_flight_status, state
		   FROM dwh_control.v_watermark_lag ORDER BY table_name`,
	);
	expect(rows).toEqual([
		{
			table_name: 'x_db__t_disabled',
			extract_lag: '10 days',
			load_lag: '10 days',
			rows_loaded_last_run: 0,
			in_flight_run_id: null,
			in_flight_status: null,
			state: 'idle',
		},
		{
			table_name: 'x_db__t_late',
			extract_lag: '00:16:00',
			load_lag: '00:15:00',
			rows_loaded_last_run: 9,
			in_flight_run_id: 5,
			in_flight_status: 'extracting',
			state: 'stuck',
		},
		{
			table_name: 'x_db__t_never',
			extract_lag: null,
			load_lag: null,
			rows_loaded_last_run: null,
			in_flight_run_id: null,
			in_flight_status: null,
			state: 'never_loaded',
		},
		{
			table_name: 'x_db__t_ok',
			extract_lag: '00:12:00',
			load_lag: '00:10:00',
			rows_loaded_last_run: 5,
			in_flight_run_id: null,
			in_flight_status: null,
			state: 'ok',
		},
		{
			table_name: 'x_db__t_stale',
			extract_lag: '05:02:00',
			load_lag: '05:00:00',
			rows_loaded_last_run: 1,
			in_flight_run_id: 8,
			in_flight_status: 'loading',
			state: 'running',
		},
	]);
});

describe('roles', () => {
	test('dwh_readonly reads the views and the run log, cannot read bronze (PII), and can write nothing', async () => {
		await client.query('SAVEPOINT ro');
		await client.query(`CREATE TABLE raw.x_db__t_ok (id bigint PRIMARY KEY, created_at timestamptz); INSERT INTO raw.x_db__t_ok VALUES (1, now())`);
		await client.query('SET LOCAL ROLE dwh_readonly');
		const seen = await client.query(`
			SELECT (SELECT count(*) FROM dwh_control.v_table_freshness)::int AS freshness,
			       (SELECT count(*) FROM dwh_control.v_recent_failures)::int AS failures,
			       (SELECT count(*) FROM dwh_control.v_watermark_lag)::int AS lag,
			       (SELECT count(*) FROM dwh_control.extract_runs)::int AS runs,
			       dwh_control.assert_all() AS asserted`);
		expect(seen.rows[0]).toEqual({ freshness: 5, failures: 2, lag: 5, runs: 10, asserted: 1 });

		const denied = async (sql: string) => {
			await client.query('SAVEPOINT attempt');
			const err = await client.query(sql).then(
				() => null,
				(e: pg.DatabaseError) => e,
			);
			await client.query('ROLLBACK TO SAVEPOINT attempt');
			return err && { code: err.code, message: err.message };
		};
		expect(
			await denied(
				`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, key_columns, cadence) VALUES ('a__b','a','b','snapshot','replace','{id}','1 hour')`,
			),
		).toEqual({ code: '42501', message: 'permission denied for table source_tables' });
		expect(await denied(`UPDATE dwh_control.extract_watermarks SET last_extracted_at = now()`)).toEqual({
			code: '42501',
			message: 'permission denied for table extract_watermarks',
		});
		expect(await denied(`DELETE FROM dwh_control.extract_runs`)).toEqual({ code: '42501', message: 'permission denied for table extract_runs' });
		expect(await denied(`SELECT * FROM raw.x_db__t_ok`)).toEqual({ code: '42501', message: 'permission denied for schema raw' });
		expect(await denied(`INSERT INTO raw.x_db__t_ok VALUES (2, now())`)).toEqual({ code: '42501', message: 'permission denied for schema raw' });
		expect(await denied(`CREATE TABLE raw.sneaky (x int)`)).toEqual({ code: '42501', message: 'permission denied for schema raw' });
		expect(await denied(`CREATE OR REPLACE VIEW dwh_control.v_table_freshness AS SELECT 1`)).toEqual({
			code: '42501',
			message: 'permission denied for schema dwh_control',
		});
		await client.query('ROLLBACK TO SAVEPOINT ro');
	});

	test('dwh_etl (the ETL stage role) works without superuser: creates bronze through create_bronze_table, writes the run log; what it creates is readable by dwh_raw_reader only', async () => {
		await client.query('SAVEPOINT etl');
		await client.query('SET LOCAL ROLE dwh_etl');
		await client.query('SAVEPOINT direct');
		await expect(client.query(`CREATE TABLE raw.x_db__t_late (id bigint PRIMARY KEY, created_at timestamptz)`)).rejects.toThrow(
			'permission denied for schema raw',
		);
		await client.query('ROLLBACK TO SAVEPOINT direct');
		await client.query(`SELECT dwh_control.create_bronze_table('x_db__t_late', '{id,created_at}', '{bigint,timestamp with time zone}')`);
		await client.query(`SELECT set_config('dwh.load_run_id', '5', true)`);
		await client.query(`INSERT INTO raw.x_db__t_late (id, created_at) VALUES (1, now()), (2, now())`);
		await client.query(`UPDATE dwh_control.extract_runs SET status = 'uploaded' WHERE run_id = 5`);
		await client.query(`INSERT INTO dwh_control.extract_runs (table_name, status, mode) VALUES ('x_db__t_never', 'extracting', 'incremental')`);
		await client.query('SET LOCAL ROLE dwh_raw_reader');
		const { rows } = await client.query(`SELECT count(*)::int AS n FROM raw.x_db__t_late`);
		expect(rows[0].n).toBe(2);
		await client.query('RESET ROLE');
		const { rows: readable } = await client.query(`SELECT has_table_privilege('dwh_readonly', 'raw.x_db__t_late', 'SELECT') AS ro`);
		expect(readable[0].ro).toBe(false);
		await client.query('ROLLBACK TO SAVEPOINT etl');
		await client.query('RESET ROLE');
	});
});
