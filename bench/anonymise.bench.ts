/**
 * `npx tsx bench/anonymise.bench.ts -- --users 200000`
 *
 * Set-based anonymisation on the embedded PostgreSQL 17 with the shipped auth_db policy: raw.auth_db__users (N
 * people: hashed id/email/phone, SA ID tokenised through a vault in a second database, age band) and
 * raw.auth_db__sessions (2N rows: IP → city through 200 ranges, user agent → device class, device hashed), each
 * built, PII-checked and swapped in. Then a rebuild of users with every token already in the vault, an incremental
 * build after 1% of the users changed, and item mode over 10,000 users. Reports wall time, rows/s and peak RSS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrateCompliance } from '../src/anonymise/complianceMigrate';
import { anonymiseItems, warehouseLookups } from '../src/anonymise/itemMode';
import { saltTypesOf } from '../src/anonymise/policy.schema';
import { loadPolicyFor } from '../src/anonymise/policyLoader';
import { anonymiseRelation, policyTable } from '../src/anonymise/runner';
import { resolveActiveSalts } from '../src/anonymise/saltVersions';
import { anonymisationSecretsSchema } from '../src/anonymise/secrets.schema';
import { TokenVault } from '../src/anonymise/vault';
import { migrateWarehouse } from '../src/control/migrate';
import { startPostgres } from '../src/devstack/postgresServer';
import { createPool } from '../src/transport/postgres';
import { peakRssMb } from './peakRss';
import { devConnection, createDatabases } from '../scripts/devstackSetup';
import { printReport, runBench } from './run';

async function main(): Promise<void> {
	const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options: { users: { type: 'string', default: '200000' } } });
	const users = Number(values.users);
	if (!Number.isInteger(users) || users < 1000) throw new Error('--users must be a whole number >= 1000');
	const server = await startPostgres({ baseDir: mkdtempSync(path.join(os.tmpdir(), 'bench-anon-')) });
	try {
		const conn = (database: string) => devConnection(server, database);
		await createDatabases(server, ['bench_anon_wh', 'bench_anon_vault']);
		const wh = createPool(conn('bench_anon_wh'), { role: 'bench' });
		const vaultDb = createPool(conn('bench_anon_vault'), { role: 'bench-vault' });
		await migrateWarehouse(wh);
		await migrateCompliance(vaultDb);
		const hex = () => randomBytes(32).toString('hex');
		const secrets = anonymisationSecretsSchema.parse({
			salts: { users: { '1': hex() }, emails: { '1': hex() }, phones: { '1': hex() }, devices: { '1': hex() } },
			hmacKey: hex(),
			vaultEncryptionKey: hex(),
		});
		const vault = new TokenVault(vaultDb, { hmacKey: secrets.hmacKey, encryptionKey: secrets.vaultEncryptionKey! });
		const deps = { warehouse: wh, secrets, vault };

		await wh.query(`CREATE SCHEMA IF NOT EXISTS raw;
			CREATE TABLE raw.auth_db__users AS
			SELECT g::bigint AS id, 'Name' || g AS first_name, 'Surname' || g AS last_name, 'user' || g || '@example.co.za' AS email,
			       '+2782' || lpad((g % 10000000)::text, 7, '0') AS phone_e164, lpad((8001015000000 + g)::text, 13, '0')::char(13) AS sa_id_number,
			       DATE '1950-01-01' + (g % 20000) AS date_of_birth, (ARRAY['female','male'])[1 + g % 2] AS gender,
			       (ARRAY['Johannesburg','Cape Town','Durban','Pretoria'])[1 + g % 4] AS home_city, 'Gauteng' AS province,
			       'ZA'::char(2) AS country,
			       g % 3 = 0 AS marketing_opt_in, 'active' AS status, now() - g * interval '1 minute' AS created_at, now() AS updated_at,
			       1::bigint AS _dwh_run_id, now() AS _dwh_loaded_at
			  FROM generate_series(1, ${users}) g;
			CREATE TABLE raw.auth_db__sessions AS
			SELECT md5(g::text)::uuid AS id, (1 + g % ${users})::bigint AS user_id, ('41.' || (g % 200) || '.' || (g % 250) || '.' || (1 + g % 250))::inet AS ip_address,
			       (ARRAY['Mozilla/5.0 (Linux; Android 14; SM-S918B)', 'Mozilla/5.0 (iPhone; CPU iPhone OS 15_2 like Mac OS X)', 'Mozilla/5.0 (Windows NT 10.0) Chrome/125'])[1 + g % 3] AS user_agent,
			       md5('d' || (g % 50000)) AS device_id, now() - g * interval '1 second' AS started_at, NULL::timestamptz AS ended_at,
			       now() AS created_at, now() AS updated_at, 1::bigint AS _dwh_run_id, now() AS _dwh_loaded_at
			  FROM generate_series(1, ${users * 2}) g;
			INSERT INTO dwh_control.ip_geo_ranges (network, city, country, source)
			SELECT ('41.' || g || '.0.0/16')::cidr, 'City ' || g, 'ZA', 'bench' FROM generate_series(0, 199) g;
			ANALYZE raw.auth_db__users; ANALYZE raw.auth_db__sessions;`);

		// Registered like the shipped registry does (key id, upsert), so builds can be incremental.
		await wh.query(`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
			VALUES ('auth_db__users', 'auth_db', 'users', 'incremental', 'upsert', 'updated_at', '{id}', '15 minutes')`);
		const policy = loadPolicyFor('auth_db');
		const report: Record<string, unknown>[] = [];
		const time = async (label: string, rows: number, fn: () => Promise<unknown>) => {
			const t0 = Date.now();
			await fn();
			const s = (Date.now() - t0) / 1000;
			report.push({ run: label, rows, seconds: s.toFixed(2), rows_per_s: Math.round(rows / s), peak_rss_mb: peakRssMb() });
		};
		await time('users, first run (N new tokens)', users, () => anonymiseRelation(deps, { policy, table: 'users' }));
		await time('users, rebuild (tokens exist)', users, () => anonymiseRelation(deps, { policy, table: 'users', build: 'full' }));
		// A load that changed 1% of the users (new e-mail addresses), as a 15-minute upsert window would.
		const changed = Math.max(1, Math.floor(users / 100));
		await wh.query(`UPDATE raw.auth_db__users SET email = 'moved' || id || '@example.co.za', updated_at = now(), _dwh_run_id = 2 WHERE id % 100 = 0`);
		await time(`users, incremental (${changed} changed)`, changed, async () => {
			const r = await anonymiseRelation(deps, { policy, table: 'users', build: 'incremental' });
			if (r.build !== 'incremental' || r.rowsOut !== changed)
				throw new Error(`expected an incremental build of ${changed} rows, got ${r.build} (${r.buildNote}) of ${r.rowsOut}`);
		});
		await time('sessions (ip_geo, device_class)', users * 2, () => anonymiseRelation(deps, { policy, table: 'sessions' }));
		const itemRows = Math.min(users, 10_000);
		const { rows: input } = await wh.query(`SELECT * FROM raw.auth_db__users ORDER BY id LIMIT ${itemRows}`);
		const t = policyTable(policy.policy, 'users');
		const salts = await resolveActiveSalts(wh, secrets.salts, saltTypesOf(t));
		await time('users, item mode', itemRows, () =>
			anonymiseItems({ salts, hmacKey: secrets.hmacKey, lookups: warehouseLookups(wh), vault }, { policy: policy.policy, table: t, asOf: '2026-11-25' }, input),
		);
		printReport(`anonymise, ${users} users / ${users * 2} sessions (PostgreSQL ${server.port}; warehouse and vault are two databases on one cluster)`, report);
		await Promise.all([wh.end(), vaultDb.end()]);
	} finally {
		await server.stop();
	}
}

runBench(main);
