import pg from 'pg';
import { tryLockTable, unlockTable } from '../../../src/control/tableLock';
import { migratedWarehouse } from '../../harness/migratedWarehouse';
import { asRole } from '../../harness/asRole';

let wh: pg.Pool;

beforeAll(async () => {
	({ pool: wh } = await migratedWarehouse('ctl_reset', 3));
	await wh.query(`
		INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
		VALUES ('r_db__events', 'r_db', 'events', 'incremental', 'append', 'created_at', '{id}', '5 minutes');
		INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, key_columns, cadence)
		VALUES ('r_db__dim', 'r_db', 'dim', 'snapshot', 'replace', '{id}', '1 hour');
		INSERT INTO dwh_control.extract_watermarks (table_name, last_extracted_at) VALUES ('r_db__events', '2026-11-20 10:00:00.123456+00');`);
});
afterAll(async () => {
	await wh.end();
});

const watermark = async () =>
	(await wh.query<{ w: string }>(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = 'r_db__events'`)).rows[0].w;

test('back-fill: resets the watermark at full precision and returns the previous one', async () => {
	await wh.query(`SET TIME ZONE 'UTC'`);
	const { rows } = await wh.query(`SELECT dwh_control.reset_watermark('r_db__events', '2026-11-19 00:00:00.000001+00')::text AS previous`);
	expect(rows[0].previous).toBe('2026-11-20 10:00:00.123456+00');
	expect(await watermark()).toBe('2026-11-19 00:00:00.000001+00');
	await wh.query(`SELECT dwh_control.reset_watermark('r_db__events')`);
	expect(await watermark()).toBe('-infinity');
});

test('refuses while an execution holds the table, and while a run is in flight', async () => {
	const worker = await wh.connect();
	try {
		expect(await tryLockTable(worker, 'r_db__events')).toBe(true);
		await expect(wh.query(`SELECT dwh_control.reset_watermark('r_db__events', now() - interval '1 day')`)).rejects.toThrow(
			'r_db__events is being extracted or loaded right now; reset its watermark when that execution has finished',
		);
		await unlockTable(worker, 'r_db__events');
	} finally {
		worker.release();
	}
	const { rows } = await wh.query(
		`INSERT INTO dwh_control.extract_runs (table_name, status, mode) VALUES ('r_db__events', 'uploaded', 'incremental') RETURNING run_id`,
	);
	await expect(wh.query(`SELECT dwh_control.reset_watermark('r_db__events', now() - interval '1 day')`)).rejects.toThrow(
		`r_db__events has run ${rows[0].run_id} in status uploaded: its load would move the watermark forward again`,
	);
	expect(await watermark()).toBe('-infinity');
});

test('refuses unknown tables, snapshot tables and future watermarks', async () => {
	await expect(wh.query(`SELECT dwh_control.reset_watermark('nope__x')`)).rejects.toThrow('table nope__x is not in dwh_control.source_tables');
	await expect(wh.query(`SELECT dwh_control.reset_watermark('r_db__dim')`)).rejects.toThrow('r_db__dim is a snapshot table');
	await expect(wh.query(`SELECT dwh_control.reset_watermark('r_db__events', now() + interval '1 hour')`)).rejects.toThrow(/must be a time in the past/);
});

test('the read-only role cannot run it', async () => {
	await asRole(wh, 'dwh_readonly', (c) =>
		expect(c.query(`SELECT dwh_control.reset_watermark('r_db__events')`)).rejects.toThrow('permission denied for function reset_watermark'),
	);
});
