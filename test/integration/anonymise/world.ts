import { fakerEN_ZA as faker } from '@faker-js/faker';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SYNTHETIC_SOURCES } from '../../../scripts/demo/synthetic';
import { sourceRegistrySchema } from '../../../src/config/registry.schema';
import { postgresConnectionSchema, type PostgresConnection, type PostgresConnectionInput } from '../../../src/config/connection.schema';
import { migrateCompliance } from '../../../src/anonymise/complianceMigrate';
import { loadPolicies, type LoadedPolicy } from '../../../src/anonymise/policyLoader';
import type { AnonymiseDeps } from '../../../src/anonymise/runner';
import type { AnonymisationSecrets } from '../../../src/anonymise/secrets.schema';
import { TokenVault } from '../../../src/anonymise/vault';
import { luhnValid } from '../../../src/privacy/detectors';
import { createPool } from '../../../src/transport/postgres';
import { stageLogin, type Login } from '../../harness/loginRole';
import { migratedWarehouse } from '../../harness/migratedWarehouse';
import { dropDatabase, freshDatabase } from '../../harness/testEnv';

/**
 * One warehouse and one compliance (vault) database per test file, migrated, with the repository's policies and
 * a synthetic South African PII source loaded into raw.* in the shape the bronze loader gives it.
 */
export interface AnonWorld {
	/** Superuser connection to the warehouse (fixtures, checks). */
	whConn: PostgresConnection;
	/** The Anonymise node's documented login (member of dwh_compliance, sessions run as it); deps.warehouse uses it. */
	loginConn: PostgresConnection;
	vaultConn: PostgresConnection;
	wh: pg.Pool;
	vaultDb: pg.Pool;
	vault: TokenVault;
	secrets: AnonymisationSecrets;
	deps: AnonymiseDeps;
	policies: Map<string, LoadedPolicy>;
	policy(sourceDb: string): LoadedPolicy;
	close(): Promise<void>;
}

export const TEST_SECRETS = {
	salts: {
		users: { '1': 'test-only-users-salt-v1-5b0c2f1e9a7d' },
		emails: { '1': 'test-only-emails-salt-v1-0d9e8f7a6b5c' },
		phones: { '1': 'test-only-phones-salt-v1-1c2d3e4f5a6b' },
		devices: { '1': 'test-only-devices-salt-v1-a1b2c3d4e5f6' },
		accounts: { '1': 'test-only-accounts-salt-v1-f6e5d4c3b2a1' },
		conversations: { '1': 'test-only-conversations-salt-v1-998877' },
	} as Record<string, Record<string, string>>,
	hmacKey: 'test-only-hmac-key-0123456789abcdef0123456789abcdef',
	vaultEncryptionKey: 'test-only-vault-key-fedcba9876543210fedcba9876543210',
};

/** The world's secrets as the DataAcuity Anonymisation Secrets credential stores them (vault: the world's vault database). */
export function secretsCredential(w: Pick<AnonWorld, 'secrets' | 'vaultConn'>, over: Record<string, string | number> = {}): Record<string, string | number> {
	return {
		salts: JSON.stringify(w.secrets.salts),
		hmacKey: w.secrets.hmacKey,
		vaultEncryptionKey: w.secrets.vaultEncryptionKey ?? '',
		vaultHost: w.vaultConn.host,
		vaultPort: w.vaultConn.port,
		vaultDatabase: w.vaultConn.database,
		vaultUser: w.vaultConn.user,
		vaultPassword: w.vaultConn.password ?? '',
		vaultSslMode: 'disable',
		...over,
	};
}

/** `server`: a superuser connection to another cluster than the shared test one (one started with its own settings). */
export async function createAnonWorld(
	name: string,
	secrets: AnonymisationSecrets = structuredClone(TEST_SECRETS),
	server?: PostgresConnectionInput,
): Promise<AnonWorld> {
	const { connection: whConn, pool: wh } = await migratedWarehouse(`${name}_wh`, createPool, server);
	const vaultConn = postgresConnectionSchema.parse(await freshDatabase(`${name}_vault`, server));
	const vaultDb = createPool(vaultConn);
	await migrateCompliance(vaultDb);
	const vault = new TokenVault(vaultDb, { hmacKey: secrets.hmacKey, encryptionKey: secrets.vaultEncryptionKey! });
	const policies = loadPolicies();
	// On a cluster of its own (server) the test sets up its login itself; the shared one gets the stage login.
	const login: Login | null = server ? null : await stageLogin(whConn.database, 'dwh_compliance');
	const loginConn = login ? postgresConnectionSchema.parse(login.connection) : whConn;
	const asLogin = login ? createPool(loginConn) : wh;
	return {
		whConn,
		loginConn,
		vaultConn,
		wh,
		vaultDb,
		vault,
		secrets,
		deps: { warehouse: asLogin, secrets, vault },
		policies,
		policy(db) {
			const p = policies.get(db);
			if (!p) throw new Error(`no policy ${db}`);
			return p;
		},
		async close() {
			if (login) {
				await asLogin.end();
				await login.drop().catch(() => undefined);
			}
			await wh.end();
			await vaultDb.end();
			await dropDatabase(whConn.database, server).catch(() => undefined);
			await dropDatabase(vaultConn.database, server).catch(() => undefined);
		},
	};
}

/**
 * The demo's synthetic sources (the closest thing to the real schemas in this repository): each generated into its
 * own schema src_<db>, then copied to raw.<db>__<table> minus the registry's excluded columns, as the extract would.
 */
export async function loadDemoSources(w: AnonWorld, rowsPerSource = 400): Promise<void> {
	const registry = sourceRegistrySchema.parse(JSON.parse(readFileSync(path.join(__dirname, '../../../dwh-control-sql/source-registry.json'), 'utf8')));
	for (const src of SYNTHETIC_SOURCES) {
		const schema = `src_${src.db}`;
		await w.wh.query(`CREATE SCHEMA ${schema}`);
		const pool = new pg.Pool({
			host: w.whConn.host,
			port: w.whConn.port,
			user: w.whConn.user,
			password: w.whConn.password,
			database: w.whConn.database,
			options: `-c search_path=${schema}`,
			max: 2,
		});
		try {
			faker.seed(42);
			await src.seed(pool, faker, rowsPerSource);
		} finally {
			await pool.end();
		}
		const { rows: tables } = await w.wh.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = $1`, [schema]);
		for (const { t } of tables) {
			const excluded = registry.tables.find((r) => r.source_db === src.db && r.source_table === t)?.excluded_columns ?? [];
			const { rows: cols } = await w.wh.query<{ c: string }>(
				`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND NOT (column_name = ANY($3)) ORDER BY ordinal_position`,
				[schema, t, excluded],
			);
			await w.wh.query(
				`CREATE SCHEMA IF NOT EXISTS raw; CREATE TABLE raw.${src.db}__${t} AS SELECT ${cols
					.map((c) => pg.escapeIdentifier(c.c))
					.join(', ')}, 1::bigint AS _dwh_run_id, now() AS _dwh_loaded_at FROM ${schema}.${t}`,
			);
		}
	}
}

/** Creates raw.<db>__<table> with the bronze loader's two pipeline columns and inserts rows (JSON-typed in bulk). */
export async function loadRaw(wh: pg.Pool, db: string, table: string, columns: string, rows: Record<string, unknown>[]): Promise<string> {
	const rel = `raw.${db}__${table}`;
	await wh.query(
		`CREATE SCHEMA IF NOT EXISTS raw; CREATE TABLE ${rel} (${columns}, _dwh_run_id bigint NOT NULL DEFAULT 1, _dwh_loaded_at timestamptz NOT NULL DEFAULT now())`,
	);
	if (rows.length) {
		await wh.query(`INSERT INTO ${rel} SELECT * FROM json_populate_recordset(NULL::${rel}, $1::json)`, [
			JSON.stringify(rows.map((r) => ({ _dwh_run_id: 1, _dwh_loaded_at: '2026-11-20T00:00:00Z', ...r }))),
		]);
	}
	return rel;
}

export function saIdFor(dob: Date, seq: number): string {
	const p = `${String(dob.getUTCFullYear() % 100).padStart(2, '0')}${String(dob.getUTCMonth() + 1).padStart(2, '0')}${String(dob.getUTCDate()).padStart(
		2,
		'0',
	)}${String(seq % 10000).padStart(4, '0')}08`;
	for (let d = 0; d <= 9; d++) if (luhnValid(p + d)) return p + d;
	throw new Error('unreachable');
}

const CITIES = [
	{ name: 'Johannesburg', province: 'Gauteng', lat: -26.2041, lng: 28.0473 },
	{ name: 'Cape Town', province: 'Western Cape', lat: -33.9249, lng: 18.4241 },
	{ name: 'Durban', province: 'KwaZulu-Natal', lat: -29.8587, lng: 31.0218 },
	{ name: 'Gqeberha', province: 'Eastern Cape', lat: -33.9608, lng: 25.6022 },
];

const USER_AGENTS = [
	'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
	'Mozilla/5.0 (Linux; Android 9; SM-J730F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile Safari/537.36',
	'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
	'Mozilla/5.0 (iPad; CPU OS 14_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
	'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36',
	'TGN-Desktop/3.2 (Linux x86_64)',
	null,
];

/** RFC 5737 documentation ranges stand in for the operator-maintained IP → city table. */
export const TEST_IP_RANGES = [
	{ network: '192.0.2.0/24', city: 'Johannesburg', country: 'ZA' },
	{ network: '198.51.100.0/24', city: 'Cape Town', country: 'ZA' },
	{ network: '198.51.100.128/25', city: 'Stellenbosch', country: 'ZA' },
	{ network: '203.0.113.0/24', city: null, country: 'ZA' },
];

export async function loadIpRanges(wh: pg.Pool): Promise<void> {
	for (const r of TEST_IP_RANGES) {
		await wh.query('INSERT INTO dwh_control.ip_geo_ranges (network, city, country, source) VALUES ($1, $2, $3, $4)', [r.network, r.city, r.country, 'test']);
	}
}

const AUTH_USERS = `id bigint PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL, phone_e164 text NOT NULL,
	sa_id_number char(13), date_of_birth date, gender text, home_city text, province text, country text, marketing_opt_in boolean NOT NULL DEFAULT false,
	status text NOT NULL DEFAULT 'active', created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL`;
const AUTH_SESSIONS = `id uuid PRIMARY KEY, user_id bigint NOT NULL, ip_address inet, user_agent text, device_id text,
	started_at timestamptz NOT NULL, ended_at timestamptz, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL`;
const AUTH_KYC = `id bigint PRIMARY KEY, user_id bigint NOT NULL, document_type text NOT NULL, document_number text NOT NULL, kyc_tier text NOT NULL,
	status text NOT NULL, verified_at timestamptz, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL`;
const AUTH_PINS = `id bigint PRIMARY KEY, user_id bigint NOT NULL UNIQUE, pin_hash text NOT NULL, failed_attempts integer NOT NULL DEFAULT 0, locked_until timestamptz,
	created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL`;
const TAGME_CHECKINS = `id bigint PRIMARY KEY, user_id bigint NOT NULL, poi_id bigint NOT NULL, lat numeric(9,6) NOT NULL, lng numeric(9,6) NOT NULL,
	accuracy_m integer, device_id text, note text, created_at timestamptz NOT NULL`;
const MSG_MESSAGES = `id bigint PRIMARY KEY, conversation_id bigint NOT NULL, sender_id bigint NOT NULL, body text, media_url text,
	has_media boolean NOT NULL DEFAULT false, detected_language text, sent_at timestamptz NOT NULL, created_at timestamptz NOT NULL`;

export interface SyntheticSet {
	users: Record<string, unknown>[];
	sessions: Record<string, unknown>[];
	kyc: Record<string, unknown>[];
	checkIns: Record<string, unknown>[];
	messages: Record<string, unknown>[];
}

/**
 * Loads raw.auth_db__{users,sessions,kyc_records,phone_pins}, raw.tagme_db__check_ins and raw.messaging_db__messages
 * full of South African PII: names, emails, +27 phones, valid SA ID numbers, street addresses inside message bodies,
 * precise GPS, IPs and free text quoting all of it.
 */
export async function loadSyntheticPii(wh: pg.Pool, nUsers = 60, seed = 20261125): Promise<SyntheticSet> {
	faker.seed(seed);
	const users: Record<string, unknown>[] = [];
	const kyc: Record<string, unknown>[] = [];
	const pins: Record<string, unknown>[] = [];
	for (let id = 1; id <= nUsers; id++) {
		const first = faker.person.firstName();
		const last = faker.person.lastName();
		const dob = faker.date.birthdate({ mode: 'age', min: 16, max: 80, refDate: '2026-11-01T00:00:00Z' });
		const city = faker.helpers.arrayElement(CITIES);
		const saId = saIdFor(dob, id * 37);
		users.push({
			id,
			first_name: first,
			last_name: last,
			email: `${first}.${last}${id}@example.co.za`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
			phone_e164: `+2782${String(1000000 + id * 7919).slice(-7)}`,
			sa_id_number: saId,
			date_of_birth: dob.toISOString().slice(0, 10),
			gender: faker.helpers.arrayElement(['female', 'male']),
			home_city: city.name,
			province: city.province,
			country: 'ZA',
			marketing_opt_in: id % 3 === 0,
			status: 'active',
			created_at: '2025-06-01T08:00:00Z',
			updated_at: `2026-10-${String(1 + (id % 28)).padStart(2, '0')}T12:34:56.789123Z`,
		});
		if (id % 4 !== 0) {
			kyc.push({
				id,
				user_id: id,
				document_type: 'sa_id',
				document_number: saId,
				kyc_tier: 'verified',
				status: 'approved',
				verified_at: '2025-06-02T09:00:00Z',
				created_at: '2025-06-01T08:00:00Z',
				updated_at: '2025-06-02T09:00:00Z',
			});
		}
		pins.push({
			id: 1000 + id,
			user_id: id,
			pin_hash: `$argon2id$v=19$m=65536,t=3,p=4$${faker.string.alphanumeric(22)}`,
			failed_attempts: id % 5,
			created_at: '2025-06-01T08:00:00Z',
			updated_at: '2025-06-01T08:00:00Z',
		});
	}
	const sessions: Record<string, unknown>[] = [];
	const ips = ['192.0.2.17', '198.51.100.7', '198.51.100.200', '203.0.113.9', '41.13.250.3', '2001:db8::1', null];
	for (let i = 0; i < nUsers * 2; i++) {
		sessions.push({
			id: faker.string.uuid(),
			user_id: 1 + (i % nUsers),
			ip_address: ips[i % ips.length],
			user_agent: USER_AGENTS[i % USER_AGENTS.length],
			device_id: faker.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
			started_at: `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T0${i % 10}:1${i % 6}:07.5+02:00`,
			ended_at: i % 5 === 0 ? null : `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T1${i % 10}:00:00Z`,
			created_at: '2026-11-01T00:00:00Z',
			updated_at: '2026-11-01T00:00:00Z',
		});
	}
	const checkIns: Record<string, unknown>[] = [];
	for (let i = 1; i <= nUsers * 2; i++) {
		const c = CITIES[i % CITIES.length];
		checkIns.push({
			id: i,
			user_id: 1 + (i % nUsers),
			poi_id: 1 + (i % 7),
			lat: (c.lat + ((i * 37) % 100) / 10000 - 0.005).toFixed(6),
			lng: (c.lng + ((i * 53) % 100) / 10000 - 0.005).toFixed(6),
			accuracy_m: 5 + (i % 30),
			device_id: faker.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
			note: i % 3 === 0 ? `Met ${users[i % nUsers].first_name} here, call me on 082 555 ${String(1000 + i).slice(-4)} or ${users[i % nUsers].email}` : null,
			created_at: `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T10:00:00Z`,
		});
	}
	const messages: Record<string, unknown>[] = [];
	for (let i = 1; i <= nUsers * 3; i++) {
		const u = users[i % nUsers];
		messages.push({
			id: i,
			conversation_id: 1 + (i % 11),
			sender_id: u.id,
			body: faker.helpers.arrayElement([
				`Hi, it's ${u.first_name} ${u.last_name}. My ID is ${u.sa_id_number}, pay into GB82 WEST 1234 5698 7654 32`,
				`I'm at ${faker.location.streetAddress()}, ${u.home_city}; pin -26.204120, 28.047310`,
				`Card 4111 1111 1111 1111 exp 12/29, call ${u.phone_e164}`,
				'Sho! See you at the braai 🔥',
			]),
			media_url: i % 4 === 0 ? `https://media.example/u/${u.id}/${faker.string.alphanumeric(12)}.jpg` : null,
			has_media: i % 4 === 0,
			detected_language: faker.helpers.arrayElement(['en', 'zu', 'af', 'xh']),
			sent_at: `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T14:22:11Z`,
			created_at: `2026-11-${String(1 + (i % 20)).padStart(2, '0')}T14:22:11Z`,
		});
	}
	await loadRaw(wh, 'auth_db', 'users', AUTH_USERS, users);
	await loadRaw(wh, 'auth_db', 'sessions', AUTH_SESSIONS, sessions);
	await loadRaw(wh, 'auth_db', 'kyc_records', AUTH_KYC, kyc);
	await loadRaw(wh, 'auth_db', 'phone_pins', AUTH_PINS, pins);
	await loadRaw(wh, 'tagme_db', 'check_ins', TAGME_CHECKINS, checkIns);
	await loadRaw(wh, 'messaging_db', 'messages', MSG_MESSAGES, messages);
	return { users, sessions, kyc, checkIns, messages };
}
