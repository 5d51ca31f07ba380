import pg from 'pg';
import { sourceTableSchema, type SourceRegistry } from '../../../src/config/registry.schema';
import { loadRegistryFile, syncRegistry, type SourceRegistryInput } from '../../../src/control/registrySync';
import { migratedWarehouse } from '../../harness/migratedWarehouse';

let wh: pg.Pool;
const shipped: SourceRegistry = loadRegistryFile();

beforeAll(async () => {
	({ pool: wh } = await migratedWarehouse('ctl_sync', 3));
});
afterAll(async () => {
	await wh.end();
});

const names = (r: SourceRegistryInput) => r.tables.map((t) => `${t.source_db}__${t.source_table}`).sort();

test('first sync adds every table of the shipped file with a watermark row seeded before any data', async () => {
	const report = await syncRegistry(wh, shipped);
	expect(report.added.sort()).toEqual(names(shipped));
	expect(report).toMatchObject({ version: shipped.version, dryRun: false, changed: [], unchanged: [], removed: [], warnings: [] });

	const { rows } = await wh.query<{ n: string; wm: string; versions: string[] }>(
		`SELECT count(*) AS n, count(*) FILTER (WHERE w.last_extracted_at = '-infinity') AS wm, array_agg(DISTINCT s.registry_version) AS versions
		   FROM dwh_control.source_tables s JOIN dwh_control.extract_watermarks w USING (table_name)`,
	);
	expect(rows[0]).toEqual({ n: String(shipped.tables.length), wm: String(shipped.tables.length), versions: [shipped.version] });

	const msg = await wh.query(
		`SELECT key_columns, excluded_columns, cadence::text, schema_drift_policy FROM dwh_control.source_tables WHERE table_name = 'messaging_db__messages'`,
	);
	expect(msg.rows[0]).toEqual({
		key_columns: ['id'],
		excluded_columns: shipped.tables.find((t) => t.source_table === 'messages')!.excluded_columns,
		cadence: '01:00:00',
		schema_drift_policy: 'fail',
	});
	// The scheduled reconcile's cadence: the table's own, else the registry's default; none for snapshot tables.
	const rc = await wh.query(
		`SELECT table_name, reconcile_cadence::text AS c FROM dwh_control.source_tables WHERE table_name IN ('auth_db__phone_pins', 'auth_db__users', 'kiffstore_db__products') ORDER BY 1`,
	);
	expect(rc.rows).toEqual([
		{ table_name: 'auth_db__phone_pins', c: '01:00:00' },
		{ table_name: 'auth_db__users', c: '1 day' },
		{ table_name: 'kiffstore_db__products', c: null },
	]);
});

test('syncing the same file again reports every table unchanged and writes nothing', async () => {
	const before = await wh.query(`SELECT table_name, updated_at FROM dwh_control.source_tables ORDER BY 1`);
	const report = await syncRegistry(wh, shipped);
	expect(report.unchanged.sort()).toEqual(names(shipped));
	expect([report.added, report.changed, report.removed]).toEqual([[], [], []]);
	const after = await wh.query(`SELECT table_name, updated_at FROM dwh_control.source_tables ORDER BY 1`);
	expect(after.rows).toEqual(before.rows);
});

test('an equivalent interval spelling is not a change (Postgres normalises both sides)', async () => {
	const respelled = { ...shipped, tables: shipped.tables.map((t) => (t.cadence === '1 hour' ? { ...t, cadence: '60 minutes' } : t)) };
	const report = await syncRegistry(wh, respelled, { dryRun: true });
	expect(report.changed).toEqual([]);
});

describe('an edited file', () => {
	const edited = (): SourceRegistryInput => {
		const tables: SourceRegistryInput['tables'] = shipped.tables
			.filter((t) => !(t.source_db === 'wolverine_db' && t.source_table === 'deploys'))
			.map((t) => {
				if (t.source_db === 'auth_db' && t.source_table === 'users') return { ...t, cadence: '30 minutes', excluded_columns: ['password_hash'] };
				if (t.source_db === 'tagme_db' && t.source_table === 'points_of_interest') return { ...t, description: 'curated POIs' };
				return t;
			});
		tables.push(
			sourceTableSchema.parse({
				source_db: 'panik_db',
				source_table: 'alerts',
				mode: 'incremental',
				load_strategy: 'append',
				watermark_column: 'created_at',
				key_columns: ['id'],
				cadence: '5 minutes',
			}),
		);
		return { version: `${shipped.version}+edit`, tables };
	};

	test('dry run reports added / changed field by field / disabled, and writes nothing', async () => {
		const before = await wh.query(`SELECT * FROM dwh_control.source_tables ORDER BY table_name`);
		const report = await syncRegistry(wh, edited(), { dryRun: true });
		expect(report.dryRun).toBe(true);
		expect(report.added).toEqual(['panik_db__alerts']);
		expect(report.changed).toEqual([
			{
				table: 'auth_db__users',
				changes: [
					{ field: 'cadence', from: '00:15:00', to: '00:30:00' },
					{ field: 'excluded_columns', from: [], to: ['password_hash'] },
				],
			},
			{
				table: 'tagme_db__points_of_interest',
				changes: [{ field: 'description', from: shipped.tables.find((t) => t.source_table === 'points_of_interest')!.description, to: 'curated POIs' }],
			},
		]);
		expect(report.removed).toEqual([{ table: 'wolverine_db__deploys', action: 'disabled' }]);
		expect(report.unchanged).toHaveLength(shipped.tables.length - 3);
		const after = await wh.query(`SELECT * FROM dwh_control.source_tables ORDER BY table_name`);
		expect(after.rows).toEqual(before.rows);
	});

	test('the real sync applies exactly that; a removed table is disabled with its runs and watermark kept', async () => {
		await wh.query(
			`INSERT INTO dwh_control.extract_runs (table_name, status, mode, rows_extracted, run_finished_at) VALUES ('wolverine_db__deploys', 'loaded', 'incremental', 7, now())`,
		);
		const report = await syncRegistry(wh, edited());
		expect(report.added).toEqual(['panik_db__alerts']);
		expect(report.changed.map((c) => c.table)).toEqual(['auth_db__users', 'tagme_db__points_of_interest']);
		expect(report.removed).toEqual([{ table: 'wolverine_db__deploys', action: 'disabled' }]);

		const { rows } = await wh.query(
			`SELECT s.table_name, s.enabled, s.cadence::text, s.excluded_columns, s.registry_version,
			        (SELECT count(*)::int FROM dwh_control.extract_runs r WHERE r.table_name = s.table_name) AS runs,
			        (SELECT count(*)::int FROM dwh_control.extract_watermarks w WHERE w.table_name = s.table_name) AS watermarks
			   FROM dwh_control.source_tables s WHERE s.table_name IN ('auth_db__users', 'wolverine_db__deploys', 'panik_db__alerts', 'apps_db__app_events')
			  ORDER BY 1`,
		);
		const v = `${shipped.version}+edit`;
		expect(rows).toEqual([
			{
				table_name: 'apps_db__app_events',
				enabled: true,
				cadence: '00:15:00',
				excluded_columns: [],
				registry_version: shipped.version,
				runs: 0,
				watermarks: 1,
			},
			{ table_name: 'auth_db__users', enabled: true, cadence: '00:30:00', excluded_columns: ['password_hash'], registry_version: v, runs: 0, watermarks: 1 },
			{ table_name: 'panik_db__alerts', enabled: true, cadence: '00:05:00', excluded_columns: [], registry_version: v, runs: 0, watermarks: 1 },
			{ table_name: 'wolverine_db__deploys', enabled: false, cadence: '01:00:00', excluded_columns: [], registry_version: v, runs: 1, watermarks: 1 },
		]);

		const again = await syncRegistry(wh, edited());
		expect(again.removed).toEqual([{ table: 'wolverine_db__deploys', action: 'already_disabled' }]);
		expect(again.added).toEqual([]);
		expect(again.changed).toEqual([]);
	});

	test('putting a removed table back re-enables it (a change of enabled), and a filtered registry can keep the rest enabled', async () => {
		const back = await syncRegistry(wh, shipped);
		expect(back.changed.find((c) => c.table === 'wolverine_db__deploys')?.changes).toEqual([{ field: 'enabled', from: false, to: true }]);
		expect(back.removed).toEqual([{ table: 'panik_db__alerts', action: 'disabled' }]);

		const demoOnly = { version: shipped.version, tables: shipped.tables.filter((t) => t.source_db === 'auth_db') };
		const partial = await syncRegistry(wh, demoOnly, { disableMissing: false });
		expect(partial.unchanged.sort()).toEqual(names(demoOnly));
		expect(partial.removed.filter((m) => m.action === 'disabled')).toEqual([]);
		expect(partial.removed.find((m) => m.table === 'ledger_db__transactions')).toEqual({ table: 'ledger_db__transactions', action: 'left_enabled' });
		const { rows } = await wh.query(`SELECT count(*)::int AS n FROM dwh_control.source_tables WHERE enabled`);
		expect(rows[0].n).toBe(shipped.tables.length);
	});
});

test('a change that the existing bronze table cannot follow by itself comes with a warning saying what to do', async () => {
	await wh.query(`CREATE TABLE raw.ledger_db__holds (id bigint PRIMARY KEY, account_id bigint, reason text, updated_at timestamptz)`);
	const tables = shipped.tables.map((t) =>
		t.source_db === 'ledger_db' && t.source_table === 'holds'
			? { ...t, key_columns: ['account_id', 'id'], excluded_columns: ['reason', 'not_in_bronze'] }
			: t.source_db === 'ledger_db' && t.source_table === 'reversals'
			? { ...t, key_columns: ['reversal_id'] } // no bronze yet: nothing to warn about
			: t,
	);
	const report = await syncRegistry(wh, { version: 'warn', tables }, { dryRun: true });
	expect(report.changed.map((c) => c.table)).toEqual(['ledger_db__holds', 'ledger_db__reversals']);
	expect(report.warnings).toEqual([
		'ledger_db__holds: key_columns changed to (account_id, id) but raw.ledger_db__holds keeps its old key; replace it (ALTER TABLE raw.ledger_db__holds DROP CONSTRAINT …, ADD PRIMARY KEY (account_id, id)) before the next load — dwh_control.assert_bronze_keys() lists it until then',
		'ledger_db__holds: newly excluded reason stay in raw.ledger_db__holds with the values already loaded; if they must not be kept, clear them by hand (ALTER TABLE raw.ledger_db__holds DROP COLUMN …)',
	]);
	await wh.query('DROP TABLE raw.ledger_db__holds');
});

test('a bad entry passed as an object is refused naming the table and the field, and nothing is written', async () => {
	const before = await wh.query(`SELECT count(*) FROM dwh_control.source_tables`);
	const bad = {
		version: 'x',
		tables: [...shipped.tables, { ...shipped.tables[0], source_table: 'broken', mode: 'incremental' as const, watermark_column: null }],
	};
	await expect(syncRegistry(wh, bad)).rejects.toThrow(/tables\[\d+\] auth_db__broken\.watermark_column: .*incremental tables need a watermark_column/);
	const tooLong = { version: 'x', tables: [{ ...shipped.tables[0], cadence: '99999999999 days' }] };
	await expect(syncRegistry(wh, tooLong)).rejects.toThrow(/auth_db__users\.cadence: '99999999999 days' is not a Postgres interval/);
	const after = await wh.query(`SELECT count(*) FROM dwh_control.source_tables`);
	expect(after.rows).toEqual(before.rows);
});
