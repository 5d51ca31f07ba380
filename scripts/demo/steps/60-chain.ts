import pg from 'pg';
import { TokenVault } from '../../../src/anonymise/vault';
import { inputRelation } from '../../../src/anonymise/policy.schema';
import { loadPolicies } from '../../../src/anonymise/policyLoader';
import { anonymiseTablesAtomically, relationColumns } from '../../../src/anonymise/runner';
import { listRegisteredTables } from '../../../src/control/registry';
import { resolveDbtBinary } from '../../../src/dbt/dbtBinary';
import { runDbt } from '../../../src/dbt/runDbt';
import { enrichMartInputs } from '../../../src/enrich/martInputs';
import { openPipelineContext } from '../../../src/pipeline/context';
import { extractAndLoadTable } from '../../../src/pipeline/extractAndLoad';
import { listTargets } from '../../../src/pushback/listTargets';
import { pushTarget } from '../../../src/pushback/pushTarget';
import { readyTarget } from '../../../src/pushback/readyTargets';
import { createPool } from '../../../src/transport/postgres';
import type { DemoContext } from '../context';
import { SYNTHETIC_SOURCES } from '../synthetic';

/**
 * Step 60 — the chain (issue 14, docs/chain.md): the apps write, and one tick of the chain workflow
 * (dwh-load-transform-push) runs its stages in order — extract and load (in one pass), Anonymise (incremental), Enrich of what
 * changed (dwh-enrich-chain), dbt build of what
 * dwh_control says changed (v_chain_dbt_pending), push of the targets that build refreshed — under one execution
 * id, as n8n runs them. Then the latency the warehouse recorded for those pushes (v_source_to_analytics_latency).
 */
export default async function chainStep(demo: DemoContext): Promise<void> {
	const executionId = `demo-chain-${Date.now()}`;
	const ctx = openPipelineContext({
		source: demo.source(demo.sourceDbs[0]),
		warehouse: demo.warehouse,
		store: demo.store,
		exportTimezone: 'Africa/Johannesburg',
		executionId,
	});
	const wh = createPool(demo.warehouse, { role: 'demo-chain' });
	const vaultDb = createPool(demo.compliance, { role: 'demo-chain-vault' });
	const an = createPool(demo.analytics, { role: 'demo-chain-push' });
	const stages: Record<string, unknown>[] = [];
	const stage = async <T>(name: string, run: () => Promise<T>, what: (r: T) => string): Promise<T> => {
		const t0 = Date.now();
		const r = await run();
		stages.push({ stage: name, did: what(r), seconds: ((Date.now() - t0) / 1000).toFixed(1) });
		return r;
	};
	try {
		demo.section('The chain (docs/chain.md): apps write → extract, load → Anonymise incremental → dbt what changed → push what it refreshed');
		for (const src of SYNTHETIC_SOURCES.filter((s) => demo.sourceDbs.includes(s.db))) {
			const pool = new pg.Pool({ ...demo.source(src.db), max: 1 });
			try {
				for (const line of await src.change(pool, demo.faker, demo.rows)) demo.log(line);
			} finally {
				await pool.end();
			}
		}
		const committedAt = Date.now();
		const { rows: lag } = await wh.query<{ ms: string | null }>(
			`SELECT (extract(epoch FROM max(safety_lag)) * 1000)::bigint::text AS ms FROM dwh_control.source_tables WHERE enabled`,
		);
		const lagMs = Math.min(Number(lag[0].ms ?? 0), 60_000);
		demo.log(`waiting ${Math.ceil(lagMs / 1000) + 1}s of safety_lag, as the next tick of the schedule would`);
		await new Promise((r) => setTimeout(r, lagMs + 1000));

		const tables = await listRegisteredTables(ctx.warehouse, { enabledOnly: true });
		await stage(
			'extract + load',
			async () => {
				let rows = 0;
				// As the workflow's Watermark Extract does (Load While Extracting): each table loaded in one pass.
				for (const t of tables) {
					const x = await extractAndLoadTable(ctx, t.table_name);
					if (x.status !== 'loaded' || !x.load) throw new Error(`${t.table_name}: extract and load ${x.status}: ${x.message}`);
					rows += (x.load.rowsInserted ?? 0) + (x.load.rowsUpdated ?? 0);
				}
				return rows;
			},
			(rows) => `${tables.length} tables, ${rows} rows inserted or updated in raw.*`,
		);

		const policies = loadPolicies();
		const vault = new TokenVault(vaultDb, { hmacKey: demo.secrets.hmacKey, encryptionKey: demo.secrets.vaultEncryptionKey! });
		await stage(
			'anonymise (incremental)',
			async () => {
				const out = [];
				for (const db of demo.sourceDbs) {
					const loaded = policies.get(db);
					if (!loaded) continue;
					const jobs = [];
					for (const table of loaded.policy.tables) if (await relationColumns(wh, inputRelation(db, table))) jobs.push({ loaded, table });
					out.push(
						...(await anonymiseTablesAtomically({ warehouse: wh, secrets: demo.secrets, vault, executionId, log: () => undefined }, jobs, {
							mode: 'set',
							build: 'incremental',
						})),
					);
				}
				return out;
			},
			(r) => `${r.filter((x) => x.build === 'incremental').length} incremental builds, ${r.reduce((n, x) => n + x.rowsOut, 0)} rows merged into intermediate.*`,
		);

		const pending = await wh.query<{ table_name: string; dbt_selector: string }>(
			`SELECT table_name, dbt_selector FROM dwh_control.v_chain_dbt_pending ORDER BY 1`,
		);
		// The enrich stage (dwh-enrich-chain): the enriched relations the marts read, before dbt reads them.
		if (pending.rows.length) {
			await stage(
				'enrich (mart inputs)',
				() => enrichMartInputs(wh, {}),
				(r) =>
					`${r.built.map((b) => `${b.target} ${b.rows}`).join(', ')}${Object.keys(r.skipped).length ? `; skipped ${Object.keys(r.skipped).join(', ')}` : ''}`,
			);
		}
		const select = pending.rows.map((r) => r.dbt_selector);
		const build = await stage(
			'dbt build',
			() => runDbt({ dbtBin: resolveDbtBinary(), warehouse: demo.warehouse, lockWaitMs: 60_000 }, { command: 'build', select }, { executionId }),
			(b) => `${b.summary.status}: --select ${select.join(' ')} (${b.nodes.filter((n) => n.resourceType === 'model').length} models)`,
		);
		if (build.summary.status !== 'success') throw new Error(`chain dbt build ${build.summary.status}: ${build.summary.errorMessage}`);
		const built = new Set(build.nodes.filter((n) => n.resourceType === 'model' && n.status === 'success').map((n) => `marts.${n.name}`));

		const targets = (await listTargets(wh)).filter((t) => t.app !== 'custom' && t.missingReads.length === 0 && t.reads.some((r) => built.has(r)));
		const pushed = await stage(
			'push',
			async () => {
				const out = [];
				for (const t of targets) out.push(await pushTarget({ warehouse: wh, analytics: an, executionId, log: () => undefined }, readyTarget(t.name).config));
				return out;
			},
			(r) => r.map((x) => `${x.target} ${x.status}`).join(', ') || 'no target reads what was rebuilt',
		);
		demo.table(stages);

		demo.section('Source commit → analytics_db, as recorded (dwh_control.v_source_to_analytics_latency)');
		const { rows } = await wh.query(
			`SELECT target_name, date_trunc('second', latency)::text AS latency, date_trunc('second', data_lag)::text AS data_lag, through_table AS slowest_source,
			        sla::text, over_sla
			   FROM dwh_control.v_source_to_analytics_latency WHERE n8n_execution_id = $1 ORDER BY target_name`,
			[executionId],
		);
		demo.table(rows);
		demo.log(
			`${pushed.length} push(es) finished ${((Date.now() - committedAt) / 1000).toFixed(
				0,
			)}s after the apps committed; "latency" bounds that from above (a row is committed after the previous window)`,
		);
		demo.log('in n8n the same stages run every 5 minutes from dwh-load-transform-push.json; docs/BENCHMARKS.md has p50/p95 at 20-second cadences');
		if (rows.some((r) => r.over_sla)) throw new Error('a chain push is over the latency SLA');
	} finally {
		await ctx.close();
		await Promise.all([wh.end(), vaultDb.end(), an.end()]);
	}
}
