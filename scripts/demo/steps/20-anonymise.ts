import type pg from 'pg';
import { migrateCompliance } from '../../../src/anonymise/complianceMigrate';
import { hashValue } from '../../../src/anonymise/hashing';
import { inputRelation } from '../../../src/anonymise/policy.schema';
import { loadPolicies, parsePolicy } from '../../../src/anonymise/policyLoader';
import { anonymiseRelation, anonymiseTablesAtomically, PiiCheckFailedError, relationColumns, type AnonymiseResult } from '../../../src/anonymise/runner';
import { TokenVault } from '../../../src/anonymise/vault';
import { kAnonymityReport } from '../../../src/privacy/kAnonymity';
import { scanRelationForPii } from '../../../src/privacy/piiScan';
import { createPool } from '../../../src/transport/postgres';
import type { DemoContext } from '../context';

/**
 * Step 20 — Anonymise (design doc §6, §8.3): every bronze table of the demo sources goes through its policy into
 * intermediate.*, each new table is PII-checked before it is swapped in, and a deliberately leaky policy is shown
 * being stopped. Salts and keys are random for this run and never printed (in n8n they live in the
 * DataAcuity Anonymisation Secrets credential).
 */

/**
 * Illustrative IP → city rows for the demo's synthetic mobile-network addresses: NOT real geolocation data. In
 * production ops load dwh_control.ip_geo_ranges from a licensed GeoIP extract (docs/anonymise.md).
 */
const DEMO_IP_RANGES = [
	{ network: '41.0.0.0/8', city: 'Johannesburg', country: 'ZA' },
	{ network: '102.0.0.0/8', city: 'Cape Town', country: 'ZA' },
	{ network: '105.0.0.0/8', city: 'Durban', country: 'ZA' },
	{ network: '154.0.0.0/8', city: null, country: 'ZA' },
	{ network: '196.0.0.0/8', city: 'Pretoria', country: 'ZA' },
];

async function peek(wh: pg.Pool, sql: string): Promise<Record<string, unknown>[]> {
	const { rows } = await wh.query(sql);
	return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && v.length > 24 ? `${v.slice(0, 16)}…` : v])));
}

export default async function anonymiseStep(demo: DemoContext): Promise<void> {
	const wh = createPool(demo.warehouse, { role: 'demo-anonymise' });
	const vaultDb = createPool(demo.compliance, { role: 'demo-vault' });
	try {
		const applied = await migrateCompliance(vaultDb);
		const secrets = demo.secrets;
		const vault = new TokenVault(vaultDb, { hmacKey: secrets.hmacKey, encryptionKey: secrets.vaultEncryptionKey! });
		const deps = { warehouse: wh, secrets, vault, log: () => undefined };
		for (const r of DEMO_IP_RANGES) {
			await wh.query(
				`INSERT INTO dwh_control.ip_geo_ranges (network, city, country, source) VALUES ($1, $2, $3, 'demo (illustrative)') ON CONFLICT (network) DO NOTHING`,
				[r.network, r.city, r.country],
			);
		}

		demo.section(
			`Anonymise: raw.* → intermediate.* (policies/*.policy.json; vault ${demo.compliance.database}${
				applied.length ? `, migrated ${applied.join(', ')}` : ''
			})`,
		);
		const policies = loadPolicies();
		const results: AnonymiseResult[] = [];
		for (const db of demo.sourceDbs) {
			const loaded = policies.get(db);
			if (!loaded) {
				demo.log(`${db}: no policy file — its data stays in raw.*`);
				continue;
			}
			const jobs = [];
			for (const table of loaded.policy.tables) if (await relationColumns(wh, inputRelation(db, table))) jobs.push({ loaded, table });
			results.push(...(await anonymiseTablesAtomically(deps, jobs, { mode: 'set' })));
		}
		demo.table(
			results.map((r) => ({
				input: r.inputRelation,
				output: r.outputRelation,
				rows: r.rowsOut,
				tokens_new: r.tokensIssued,
				policy: r.policyVersion,
				salts: Object.entries(r.saltVersions)
					.map(([t, v]) => `${t} v${v}`)
					.join(', '),
				run: r.runId,
			})),
		);

		demo.section('Before: raw.auth_db__users (synthetic people)');
		demo.table(
			await peek(wh, `SELECT id, first_name, last_name, email, phone_e164, sa_id_number, date_of_birth, home_city FROM raw.auth_db__users ORDER BY id LIMIT 4`),
		);
		demo.section('After: intermediate.int_auth_db__users (the same four people, found by hashing their ids here)');
		const ids = [1, 2, 3, 4];
		const hashes = ids.map((id) => hashValue(secrets.salts.users['1'], id)!);
		const after = await peek(
			wh,
			`SELECT user_hash, email_hash, phone_hash, sa_id_token, age_band, home_city, status FROM intermediate.int_auth_db__users WHERE user_hash = ANY('{${hashes.join(
				',',
			)}}')`,
		);
		demo.table(ids.map((id, i) => ({ 'id (not in intermediate)': id, ...after.find((r) => hashes[i].startsWith(String(r.user_hash).replace('…', ''))) })));
		demo.section('After: intermediate.int_tagme_db__check_ins (GPS on the 0.01° grid, device hashed, notes suppressed)');
		demo.table(
			await peek(
				wh,
				`SELECT check_in_id, user_hash, poi_id, lat_grid, lng_grid, device_hash, created_at FROM intermediate.int_tagme_db__check_ins ORDER BY check_in_id LIMIT 3`,
			),
		);
		if (await relationColumns(wh, { schema: 'intermediate', table: 'int_auth_db__sessions' })) {
			demo.section('After: intermediate.int_auth_db__sessions (IP → city, user agent → device class)');
			demo.table(
				await peek(
					wh,
					`SELECT device_class, ip_city, ip_country, count(*)::int AS sessions FROM intermediate.int_auth_db__sessions GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 6`,
				),
			);
		}

		demo.section('PII check of every intermediate table (column names + sampled content through the detectors)');
		const checks = [];
		for (const r of results) {
			const [schema, table] = r.outputRelation.split('.');
			const allow = policies.get(r.sourceDb)!.policy.tables.find((t) => t.table === r.table)!.pii_check.allow_columns;
			const findings = await scanRelationForPii(wh, { schema, table }, { allowColumns: allow });
			checks.push({
				relation: r.outputRelation,
				findings: findings.length,
				result: findings.length ? 'FAILED' : 'passed',
				reviewed_exceptions: allow.join(', ') || '-',
			});
		}
		demo.table(checks);
		const failed = checks.filter((c) => c.findings > 0);
		if (failed.length) throw new Error(`PII check failed for ${failed.map((f) => f.relation).join(', ')}`);

		demo.section('A leaky policy (email kept, first_name kept) is stopped before it is published');
		const leakyRaw = JSON.parse(JSON.stringify(policies.get('auth_db')!.policy)) as { tables: { table: string; columns: Record<string, unknown> }[] };
		const users = leakyRaw.tables.find((t) => t.table === 'users')!;
		users.columns.email = 'keep';
		users.columns.first_name = 'keep';
		const before = await wh.query<{ n: number }>('SELECT count(*)::int AS n FROM intermediate.int_auth_db__users');
		try {
			await anonymiseRelation(deps, {
				policy: { policy: parsePolicy({ ...leakyRaw, version: 'demo-leaky' }, 'demo-leaky'), sha256: 'demo', file: null },
				table: 'users',
			});
			throw new Error('the leaky policy was published — the PII gate did not work');
		} catch (err) {
			if (!(err instanceof PiiCheckFailedError)) throw err;
			demo.table(err.findings.map((f) => ({ table: f.table, column: f.column, detector: f.detector, kind: f.kind, sampled_hits: f.sampleCount })));
			const after = await wh.query<{ n: number }>('SELECT count(*)::int AS n FROM intermediate.int_auth_db__users');
			const email = await relationColumns(wh, { schema: 'intermediate', table: 'int_auth_db__users' });
			const leaked = email?.some((c) => c.name === 'email') ?? false;
			demo.log(
				`blocked: run ${err.runId} recorded as 'blocked'; intermediate.int_auth_db__users still has ${after.rows[0].n} rows (was ${before.rows[0].n}) and ${
					leaked ? 'AN EMAIL COLUMN (!)' : 'no email column'
				}`,
			);
		}

		demo.section('k-anonymity of intermediate.int_auth_db__users over (home_city, age_band), k = 5');
		const k = await kAnonymityReport(wh, { schema: 'intermediate', table: 'int_auth_db__users' }, ['home_city', 'age_band'], 5);
		demo.table([
			{ groups: k.groups, smallest_group: k.smallestGroup, groups_below_k: k.groupsBelowK, rows_in_them: k.rowsInGroupsBelowK, satisfied: k.satisfied },
		]);
		demo.log('intermediate keeps per-person rows; marts aggregate and enforce k ≥ 5 before anything is shared (design doc §6.6).');

		const { rows: vaultRows } = await vaultDb.query<{ kind: string; n: number }>(
			'SELECT kind, count(*)::int AS n FROM compliance.token_vault GROUP BY 1 ORDER BY 1',
		);
		demo.log(
			`compliance.token_vault: ${
				vaultRows.map((r) => `${r.n} ${r.kind}`).join(', ') || 'empty'
			} (values pgp_sym_encrypt-ed; reversible only with the vault key)`,
		);
	} finally {
		await wh.end().catch(() => undefined);
		await vaultDb.end().catch(() => undefined);
	}
}
