import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bronzeTableName } from '../../../src/config/registry.schema';
import { defaultRegistryPath, loadRegistryFile, RegistryFileError } from '../../../src/control/registryFile';

/** Design doc §5 as written: source db -> key tables and cadence. The registry file must cover all of it. */
const SECTION_5: Record<string, { tables: string[]; cadence: string }> = {
	auth_db: { tables: ['users', 'sessions', 'kyc_records', 'phone_pins'], cadence: '15 minutes' },
	ledger_db: { tables: ['transactions', 'accounts', 'holds', 'reversals'], cadence: '5 minutes' },
	messaging_db: { tables: ['conversations', 'messages', 'participants'], cadence: '1 hour' },
	apps_db: { tables: ['app_events', 'user_app_sessions'], cadence: '15 minutes' },
	tagme_db: { tables: ['check_ins', 'points_of_interest', 'tags', 'user_locations', 'events'], cadence: '1 hour' },
	kiffstore_db: { tables: ['orders', 'products', 'inventory_events'], cadence: '1 hour' },
	bidbaas_db: { tables: ['auctions', 'bids', 'winners', 'payouts'], cadence: '5 minutes' },
	jobcenter_db: { tables: ['job_postings', 'applications', 'placements'], cadence: '1 hour' },
	sdpkt_db: { tables: ['wallets', 'payments', 'holds', 'merchant_settlements'], cadence: '5 minutes' },
	payfast_db: { tables: ['payment_attempts', 'itn_callbacks'], cadence: '15 minutes' },
	glocell_db: { tables: ['airtime_purchases', 'data_purchases'], cadence: '1 hour' },
	media_db: { tables: ['uploads', 'views', 'streams'], cadence: '1 hour' },
	slepton_db: { tables: ['app_installs', 'app_updates', 'developer_payouts'], cadence: '1 hour' },
	notification_db: { tables: ['sends', 'deliveries', 'opens'], cadence: '15 minutes' },
	incentives_db: { tables: ['rewards', 'claims', 'referrals'], cadence: '1 hour' },
	wolverine_db: { tables: ['incidents', 'fixes', 'deploys'], cadence: '1 hour' },
	takemehome_db: { tables: ['searches', 'clicks', 'bookings_attributed'], cadence: '1 hour' },
	whatwewant_db: { tables: ['lists', 'items', 'claims', 'purchases'], cadence: '1 hour' },
};

const registry = loadRegistryFile();
const byName = new Map(registry.tables.map((t) => [bronzeTableName(t), t]));

test('the shipped registry file validates and carries a version', () => {
	expect(registry.version).toMatch(/\S/);
	expect(registry.tables.length).toBeGreaterThanOrEqual(Object.values(SECTION_5).reduce((n, s) => n + s.tables.length, 0));
});

test.each(Object.entries(SECTION_5))('%s: every §5 key table is registered, enabled, at the §5 cadence', (db, spec) => {
	for (const table of spec.tables) {
		const t = byName.get(`${db}__${table}`);
		expect(t).toBeDefined();
		expect(t).toMatchObject({ enabled: true });
		// Dimension snapshots follow §10.2's hourly schedule; incremental tables follow §5.
		expect(t!.cadence).toBe(t!.mode === 'snapshot' ? '1 hour' : spec.cadence);
	}
});

test('every entry explains its choice and lists no source outside §5 (plus apps_db.app_metadata from §10.2)', () => {
	for (const t of registry.tables) {
		expect(t.description.length).toBeGreaterThan(20);
		expect(Object.keys(SECTION_5)).toContain(t.source_db);
	}
	const extra = registry.tables.map(bronzeTableName).filter((n) => {
		const [db, table] = n.split('__');
		return !SECTION_5[db].tables.includes(table);
	});
	expect(extra).toEqual(['apps_db__app_metadata']);
});

test('message content never leaves: messaging tables exclude content columns and fail on schema drift (§6.5)', () => {
	const messages = byName.get('messaging_db__messages')!;
	expect(messages.excluded_columns).toEqual(expect.arrayContaining(['body', 'subject', 'media_payload']));
	for (const t of registry.tables.filter((x) => x.source_db === 'messaging_db' || x.source_db === 'media_db')) {
		expect(t.schema_drift_policy).toBe('fail');
	}
	expect(byName.get('auth_db__phone_pins')!.excluded_columns).toEqual(expect.arrayContaining(['pin_hash']));
});

test('append-only tables watermark on created_at, mutable ones on updated_at; snapshots are the small dimensions', () => {
	for (const t of registry.tables) {
		if (t.load_strategy === 'append') expect(t.watermark_column).toBe('created_at');
		if (t.load_strategy === 'upsert') expect(t.watermark_column).toBe('updated_at');
	}
	expect(
		registry.tables
			.filter((t) => t.mode === 'snapshot')
			.map(bronzeTableName)
			.sort(),
	).toEqual(['apps_db__app_metadata', 'kiffstore_db__products', 'tagme_db__points_of_interest']);
});

describe('loadRegistryFile errors', () => {
	let dir: string;
	beforeAll(() => {
		dir = mkdtempSync(path.join(tmpdir(), 'registry-'));
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	const write = (name: string, content: string) => {
		const file = path.join(dir, name);
		writeFileSync(file, content);
		return file;
	};

	test('a bad entry names the file, the table and the field', () => {
		const json = JSON.parse(readFileSync(defaultRegistryPath(), 'utf8'));
		json.tables[5].watermark_column = null;
		json.tables[7].key_columns = ['id; drop table x'];
		json.tables[9].cadence = 'whenever';
		const file = write('bad.json', JSON.stringify(json));
		let err: unknown;
		try {
			loadRegistryFile(file);
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(RegistryFileError);
		const name = (i: number) => `${json.tables[i].source_db}__${json.tables[i].source_table}`;
		expect((err as RegistryFileError).problems).toEqual([
			`tables[5] ${name(5)}.watermark_column: ${json.tables[5].source_db}.public.${json.tables[5].source_table}: incremental tables need a watermark_column`,
			`tables[7] ${name(
				7,
			)}.key_columns[0]: key_columns[] must be a lower-case SQL identifier (letters, digits, underscore; max 63 chars, not starting with a digit)`,
			`tables[9] ${name(9)}.cadence: cadence must be a Postgres interval such as '15 minutes' or '1 hour'`,
		]);
		expect((err as Error).message).toContain(`${file} is not a valid source registry:`);
	});

	test('an unknown field is reported where it is, not silently dropped', () => {
		const json = JSON.parse(readFileSync(defaultRegistryPath(), 'utf8'));
		json.tables[0].watermark = 'updated_at';
		expect(() => loadRegistryFile(write('typo.json', JSON.stringify(json)))).toThrow(
			/tables\[0\] auth_db__users: Unrecognized key\(s\) in object: 'watermark'/,
		);
	});

	test('invalid JSON and a missing file say so', () => {
		expect(() => loadRegistryFile(write('broken.json', '{"version": "1", tables: []}'))).toThrow(
			/broken\.json is not a valid source registry:\n {2}- is not valid JSON/,
		);
		expect(() => loadRegistryFile(path.join(dir, 'nope.json'))).toThrow(/nope\.json is not a valid source registry:\n {2}- cannot be read/);
	});
});
