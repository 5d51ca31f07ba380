import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { forgetUsers } from '../../../src/anonymise/forget';
import { anonymiseItems, warehouseLookups } from '../../../src/anonymise/itemMode';
import { rotateSalt } from '../../../src/anonymise/rotateSalt';
import { ParameterLoggingError, suppressParameterLogging } from '../../../src/anonymise/logSafety';
import { saltTypesOf } from '../../../src/anonymise/policy.schema';
import { anonymiseRelation, policyTable } from '../../../src/anonymise/runner';
import { resolveActiveSalts } from '../../../src/anonymise/saltVersions';
import { anonymisationSecretsSchema } from '../../../src/anonymise/secrets.schema';
import { TokenVault } from '../../../src/anonymise/vault';
import type { PostgresConnectionInput } from '../../../src/config/connection.schema';
import { startPostgres, type PostgresServer } from '../../../src/devstack/postgresServer';
import { createPool } from '../../../src/transport/postgres';
import { dropDatabase, freshDatabase } from '../../harness/testEnv';
import { createAnonWorld, loadSyntheticPii, type AnonWorld } from '../anonymise/world';

/**
 * A cluster of its own, configured the way a careless DBA might: auto_explain (shared_preload_libraries) logging
 * every plan with ANALYZE, VERBOSE, nested statements and all parameters; every statement logged with all its
 * parameters; pg_stat_statements tracking everything. Anonymise runs as its documented login (member of dwh_compliance, sessions running as it). Without
 * the privilege to switch those off it refuses, naming the settings; given it (GRANT SET ON PARAMETER), a build
 * leaves no salt or key in the server log or in pg_stat_statements.
 */
const ETL_ROLE = 'dwh_compliance';
let server: PostgresServer;
let baseDir: string;
let admin: PostgresConnectionInput;
let w: AnonWorld;
let login: { user: string; password: string };
let whAsEtl: pg.Pool;
const hex = () => randomBytes(32).toString('hex');
const secrets = anonymisationSecretsSchema.parse({
	salts: { users: { '1': hex() }, emails: { '1': hex() }, phones: { '1': hex() }, devices: { '1': hex() } },
	hmacKey: hex(),
	vaultEncryptionKey: hex(),
});
// Rotation adds users v2 during the test; it is a secret from the start.
const rotatedTo = hex();
const allSecrets = [secrets.hmacKey, secrets.vaultEncryptionKey!, rotatedTo, ...Object.values(secrets.salts).flatMap((v) => Object.values(v))];

beforeAll(async () => {
	baseDir = mkdtempSync(path.join(os.tmpdir(), 'dwh-serverlog-'));
	server = await startPostgres({
		baseDir,
		settings: {
			shared_buffers: '32MB',
			max_connections: 40,
			shared_preload_libraries: 'auto_explain,pg_stat_statements',
			log_statement: 'all',
			log_min_duration_statement: 0,
			log_min_error_statement: 'error',
			log_parameter_max_length: -1,
			log_parameter_max_length_on_error: -1,
			'auto_explain.log_min_duration': 0,
			'auto_explain.log_analyze': 'on',
			'auto_explain.log_verbose': 'on',
			'auto_explain.log_nested_statements': 'on',
			'auto_explain.log_parameter_max_length': -1,
			'pg_stat_statements.track': 'all',
			'pg_stat_statements.track_utility': 'on',
		},
	});
	admin = { host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' };
	w = await createAnonWorld('serverlog', secrets, admin);
	await loadSyntheticPii(w.wh, 12);
	await w.wh.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
	// The ETL login as a DBA sets it up: member of the ETL role, reads bronze, and (USERSET, so it cannot stop us)
	// prints plan trees into the log.
	login = { user: `etl_login_${randomBytes(3).toString('hex')}`, password: randomBytes(18).toString('base64url') };
	await w.wh.query(`CREATE ROLE ${login.user} LOGIN PASSWORD ${pg.escapeLiteral(login.password)} IN ROLE ${ETL_ROLE}`);
	await w.wh.query(`ALTER ROLE ${login.user} SET debug_print_plan = on`);
	await w.wh.query(`ALTER ROLE ${login.user} SET role = ${ETL_ROLE}`);
	whAsEtl = createPool({ ...w.whConn, user: login.user, password: login.password });
}, 180_000);
afterAll(async () => {
	await whAsEtl?.end();
	await w?.close();
	await server?.stop();
	rmSync(baseDir, { recursive: true, force: true });
});

const depsAsEtl = () => ({
	warehouse: whAsEtl,
	secrets,
	vault: new TokenVault(w.vaultDb, { hmacKey: secrets.hmacKey, encryptionKey: secrets.vaultEncryptionKey! }),
	executionId: `serverlog-${randomBytes(4).toString('hex')}`,
});

test('a login that may not switch parameter logging off is refused, naming each setting and the fix', async () => {
	const err = await anonymiseRelation(depsAsEtl(), { policy: w.policy('auth_db'), table: 'users' }).catch((e: Error) => e);
	expect(err).toBeInstanceOf(ParameterLoggingError);
	const msg = (err as Error).message;
	expect(msg).toContain('auto_explain.log_min_duration = 0');
	expect(msg).toContain('log_parameter_max_length = -1');
	expect(msg).toContain('ALTER ROLE <this login> SET auto_explain.log_min_duration = -1');
	expect(msg).not.toContain('debug_print_plan'); // user-settable: forced off, not a refusal
	expect((await w.wh.query(`SELECT to_regclass('intermediate.int_auth_db__users') AS t`)).rows[0].t).toBeNull();
	expect((await w.wh.query(`SELECT status FROM dwh_control.anonymise_runs ORDER BY run_id DESC LIMIT 1`)).rows[0].status).toBe('failed');
});

test('given SET on those parameters, builds, item mode, Forget Users, salt rotation and a vault reveal under full logging leave no salt or key in the server log or pg_stat_statements', async () => {
	await w.wh.query(`GRANT SET ON PARAMETER log_parameter_max_length, auto_explain.log_min_duration, auto_explain.log_parameter_max_length TO ${ETL_ROLE}`);
	const deps = depsAsEtl();
	const policy = w.policy('auth_db');
	for (const t of ['users', 'sessions', 'kyc_records']) {
		expect((await anonymiseRelation(deps, { policy, table: t })).rowsOut).toBeGreaterThan(0);
	}
	const table = policyTable(policy.policy, 'users');
	const { rows: input } = await w.wh.query('SELECT * FROM raw.auth_db__users LIMIT 3');
	await anonymiseItems(
		{
			salts: await resolveActiveSalts(whAsEtl, secrets.salts, saltTypesOf(table)),
			hmacKey: secrets.hmacKey,
			lookups: warehouseLookups(whAsEtl),
			vault: deps.vault,
		},
		{ policy: policy.policy, table, asOf: '2026-11-25' },
		input,
	);
	await forgetUsers(deps, { requests: [{ userId: '3' }], policies: [...w.policies.values()] });
	secrets.salts.users['2'] = rotatedTo;
	await rotateSalt(deps, { saltType: 'users', policies: [policy] });
	const { rows: tok } = await w.wh.query<{ t: string }>(
		'SELECT sa_id_token::text AS t FROM intermediate.int_auth_db__users WHERE sa_id_token IS NOT NULL LIMIT 1',
	);
	await deps.vault.reveal(tok[0].t, 'server log check');

	const log = readFileSync(path.join(baseDir, 'postgres.log'), 'utf8');
	// Logging was really on: parameters of ordinary statements, auto_explain plans, and this run's own statements.
	expect(log).toMatch(/parameters: \$1 = /);
	expect(log).toMatch(/Query Parameters: \$1 = /);
	expect(log).toContain('Query Text:');
	expect(log).toContain(deps.executionId);
	expect(allSecrets.filter((s) => log.includes(s))).toEqual([]);

	const { rows } = await w.wh.query<{ query: string }>('SELECT query FROM pg_stat_statements');
	expect(rows.some((r) => /intermediate/.test(r.query))).toBe(true);
	expect(allSecrets.filter((s) => rows.some((r) => r.query.includes(s)))).toEqual([]);
});

test('auto_explain loaded per session (session_preload_libraries on the login) is found and refused or forced off the same way', async () => {
	const db = await freshDatabase('serverlog_session_preload');
	const dba = new pg.Pool({ ...(db as pg.PoolConfig), max: 1 });
	const who = `etl_preload_${randomBytes(3).toString('hex')}`;
	const password = randomBytes(18).toString('base64url');
	const check = async () => {
		const c = new pg.Client({ host: db.host, port: db.port, database: db.database, user: who, password });
		await c.connect();
		try {
			await c.query('BEGIN');
			const safety = await suppressParameterLogging(c as unknown as pg.PoolClient);
			const { rows } = await c.query(`SELECT current_setting('auto_explain.log_min_duration') AS d`);
			return { ...safety, duration: rows[0].d as string };
		} finally {
			await c.end();
		}
	};
	try {
		await dba.query(`CREATE ROLE ${who} LOGIN PASSWORD ${pg.escapeLiteral(password)}`);
		await dba.query(`ALTER ROLE ${who} SET session_preload_libraries = 'auto_explain'`);
		await dba.query(`ALTER ROLE ${who} SET auto_explain.log_min_duration = 0`);
		const err = await check().catch((e: Error) => e);
		expect(err).toBeInstanceOf(ParameterLoggingError);
		expect((err as Error).message).toContain('auto_explain.log_min_duration = 0 (auto_explain logs plans, which show bound parameters as constants)');
		await dba.query(`GRANT SET ON PARAMETER auto_explain.log_min_duration, auto_explain.log_parameter_max_length TO ${who}`);
		// auto_explain is forced off; log_parameter_max_length (not granted) is merely checked: no statement logging here.
		expect(await check()).toEqual({ suppressed: true, how: 'checked', problems: [], duration: '-1' });
	} finally {
		await dba.query(`DROP ROLE IF EXISTS ${who}`).catch(() => undefined);
		await dba.end();
		await dropDatabase(db.database);
	}
});
