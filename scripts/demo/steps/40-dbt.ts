import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/config/packageAsset';
import { resolveDbtBinary } from '../../../src/dbt/dbtBinary';
import { runDbt } from '../../../src/dbt/runDbt';
import type { DbtRunOutcome } from '../../../src/dbt/runOutcome';
import { signIncidentBody } from '../../../src/webhook/signature';
import { verifyIncident } from '../../../src/webhook/verifyIncident';
import { createPool } from '../../../src/transport/postgres';
import type { DemoContext } from '../context';

/**
 * Step 40 — dbt (design doc §8, §10): the reference project in dbt/ builds the models downstream of the tables the
 * loads filled (`source:<db>.<table>+`) with the real dbt CLI, and prints one line per dbt node. Then the same
 * gates a Wolverine incident passes through: a signed request becomes an exact rerun, a selector injection never
 * reaches dbt.
 */
export default async function dbtStep(demo: DemoContext): Promise<void> {
	let dbtBin = resolveDbtBinary();
	if (!path.isAbsolute(dbtBin) || !existsSync(dbtBin)) {
		// `npm install && npm run demo` must work on a fresh machine: dbt is Python, not npm, so the demo provisions the
		// project virtualenv itself the first time (the same script CI uses; PyPI only, about a minute).
		demo.section('dbt is not installed: creating .venv with dbt-core + dbt-postgres (one time, about a minute)');
		const script = path.join(packageRoot(), '.ci', 'install.d', 'dbt.sh');
		try {
			execFileSync('bash', [script], { stdio: 'inherit' });
		} catch (err) {
			throw new Error(`dbt could not be installed by ${script} (${(err as Error).message}); install it by hand or set DWH_DBT_BIN`);
		}
		dbtBin = resolveDbtBinary();
		if (!path.isAbsolute(dbtBin) || !existsSync(dbtBin)) throw new Error(`dbt is still not found after ${script} (looked for ${dbtBin}); set DWH_DBT_BIN`);
	}
	const cfg = { dbtBin, warehouse: demo.warehouse, lockWaitMs: 60_000 };
	const wh = createPool(demo.warehouse, { role: 'demo-dbt' });
	try {
		const anonymised = await relationsPresent(wh, ['intermediate.int_ledger_db__transactions', 'intermediate.int_auth_db__users']);
		// Plus the PII-absence tests on what the Anonymise step wrote (sources of the marts, §11.1) and every mart built
		// from it (fct_tagme_checkins has no bronze source of its own in the selection above).
		const select = ['source:ledger_db.transactions+', 'source:auth_db.users+', 'source:ledger_db.accounts+', ...(anonymised ? ['source:intermediate+'] : [])];
		demo.section(`dbt build --select ${select.join(' ')}  (models downstream of the loaded bronze tables)`);
		if (!anonymised) demo.log('intermediate.* is not there yet (Anonymise step did not run): building staging only; the marts wait for it.');
		// One execution id for this build and step 50's pushes, as n8n gives one chain execution: the pushes then record
		// their freshness (dwh_control.push_freshness), and step 60 measures only what is new after them.
		const build = await runDbt(cfg, { command: 'build', select, exclude: anonymised ? [] : ['path:models/marts'] }, { executionId: 'demo-steps' });
		printRun(demo, build);

		const { rows: marts } = await wh.query<{ relation: string; rows: string }>(
			`SELECT n.nspname || '.' || c.relname AS relation, c.reltuples::bigint::text AS rows
			   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  WHERE n.nspname IN ('staging', 'marts') AND c.relkind IN ('r', 'v') AND (c.relname LIKE 'stg_%' OR (n.nspname = 'marts' AND c.relname !~ '^dim_(fx_rates_daily|holidays|places|admin_divisions)$'))
			  ORDER BY 1`,
		);
		demo.table(marts.map((m) => ({ relation: m.relation, kind: m.relation.startsWith('staging.') ? 'view' : 'table' })));
		if (anonymised) {
			const { rows } = await wh.query(
				`SELECT DISTINCT ON (app_id, country) app_id, country, revenue_date::text, user_count, tx_count, revenue_zar::text, revenue_usd::text
				   FROM marts.agg_revenue_daily_app_country ORDER BY app_id, country, revenue_date DESC`,
			);
			demo.log('marts.agg_revenue_daily_app_country, latest day per (app, country) (groups under 5 users are suppressed):');
			demo.table(rows);
			const { rows: kyc } = await wh.query(`SELECT kyc_tier, lifecycle_stage, count(*)::int AS users FROM marts.dim_user_360_anon GROUP BY 1, 2 ORDER BY 1, 2`);
			demo.log('marts.dim_user_360_anon by KYC tier and lifecycle stage:');
			demo.table(kyc);
		}

		demo.section('dbt source freshness (bronze load times, §11.1)');
		printRun(demo, await runDbt(cfg, { command: 'source freshness' }));

		demo.section('Wolverine incident → exact rerun (signed with the webhook secret, de-duplicated in dwh_control)');
		const secret = 'demo-only-webhook-secret';
		const body = JSON.stringify({
			incident_id: `INC-DEMO-${Date.now()}`,
			severity: 'P2',
			title: 'ledger replica lag',
			impacted: { models: ['stg_ledger_db__transactions'] },
		});
		const now = Math.floor(Date.now() / 1000);
		const headers = { 'x-wolverine-signature': signIncidentBody(secret, body, now), 'x-wolverine-timestamp': String(now) };
		const verdict = await verifyIncident({ rawBody: body, headers, secret, dedup: { db: wh, windowS: 900 } });
		const again = await verifyIncident({ rawBody: body, headers, secret, dedup: { db: wh, windowS: 900 } });
		const unsigned = await verifyIncident({ rawBody: body, headers: {}, secret });
		demo.table([
			{ request: 'signed', http: verdict.httpStatus, result: verdict.accepted ? `rerun ${verdict.dbtCommand.select?.join(' ')}` : verdict.message },
			{ request: 'same incident again', http: again.httpStatus, result: again.accepted ? 'accepted (unexpected)' : again.message },
			{ request: 'unsigned', http: unsigned.httpStatus, result: unsigned.accepted ? 'accepted (unexpected)' : unsigned.message },
		]);
		if (verdict.accepted) printRun(demo, await runDbt(cfg, verdict.dbtCommand));

		const injected = await runDbt(cfg, { command: 'build', select: ['x; rm -rf /'] }).then(
			() => 'ran (unexpected)',
			(e: Error) => e.message,
		);
		demo.log(`A selector like "x; rm -rf /" never reaches dbt: ${injected}`);
	} finally {
		await wh.end();
	}
}

async function relationsPresent(db: pg.Pool, relations: string[]): Promise<boolean> {
	const { rows } = await db.query<{ n: number }>(`SELECT count(to_regclass(r))::int AS n FROM unnest($1::text[]) r`, [relations]);
	return rows[0].n === relations.length;
}

function printRun(demo: DemoContext, run: DbtRunOutcome): void {
	demo.table(
		run.nodes.map((n) => ({
			type: n.resourceType,
			name: n.name.length > 60 ? `${n.name.slice(0, 57)}…` : n.name,
			status: n.status,
			rows: n.rowsAffected ?? '',
			seconds: n.executionTimeS,
			message: (n.message ?? '').split('\n')[0].slice(0, 70),
		})),
	);
	const s = run.summary;
	demo.log(
		`→ dbt ${s.command}: ${s.status} (exit ${s.exitCode}) in ${s.elapsedS}s — ${Object.entries(s.counts)
			.map(([k, v]) => `${v} ${k}`)
			.join(', ')}; artifacts ${s.artifactsDir}`,
	);
	if (s.status !== 'success') throw new Error(`dbt ${s.command} ${s.status}: ${s.errorMessage}`);
}
