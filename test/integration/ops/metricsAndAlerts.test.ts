import { recordDbtRunCompleted } from '../../../src/dbt/dbtRunLog';
import { dbtCommandSchema } from '../../../src/dbt/command.schema';
import type { DbtNodeResult } from '../../../src/dbt/runOutcome';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { openPipelineContext } from '../../../src/pipeline/context';
import { withTransaction } from '../../../src/transport/transaction';
import { createLogin, type Login } from '../../harness/loginRole';
import { createWorld, type World } from '../pipeline/world';
import { dashboardSchema, expandSqlMacros, fieldsUsed, loadDashboard, provisionedDatasources } from './dashboard';
import { eventually, parseMetrics, startStack, startWebhook, type Sample, type Stack, type Webhook } from './monitoringStack';
import { incremental } from '../../harness/registerTable';

/**
 * Issue 15's done-when, against real servers: the pipeline writes its run log (a real failed extract, real loads),
 * a PII block, an old watermark and dbt results are planted; postgres_exporter (as a dwh_readonly login, with the
 * shipped queries) exposes the right values and no row value; Prometheus (shipped rules) fires the right alerts;
 * Alertmanager (shipped route tree) holds them with the right severity and routes P1 to the pager, P2 to tickets.
 */
let w: World;
let login: Login;
let hook: Webhook;
let stack: Stack;
let samples: Sample[];
let metricsText: string;
const t: Record<'healthy' | 'failing' | 'held' | 'stale', string> = { healthy: '', failing: '', held: '', stale: '' };
// A person's e-mail address planted where a careless run log could have put it: it must not reach any metric.
const PII = 'thandi.nkosi@example.co.za';

const value = (name: string, labels: Record<string, string>) =>
	samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => s.value);

beforeAll(async () => {
	w = await createWorld('ops_stack');
	await w.src.query(`
		CREATE TABLE public.transactions (id bigint PRIMARY KEY, amount_zar numeric(14,2), created_at timestamptz NOT NULL DEFAULT now());
		CREATE TABLE public.payments (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
		CREATE TABLE public.accounts (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
		CREATE TABLE public.users (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO public.transactions (id, amount_zar, created_at) SELECT g, g, now() - interval '1 hour' FROM generate_series(1, 250) g;
		INSERT INTO public.payments (id, created_at) SELECT g, now() - interval '1 hour' FROM generate_series(1, 5) g;
		INSERT INTO public.accounts (id, created_at) SELECT g, now() - interval '1 hour' FROM generate_series(1, 7) g;
		INSERT INTO public.users (id, created_at) SELECT g, now() - interval '1 hour' FROM generate_series(1, 9) g;`);
	const reg = (source_table: string) => w.register(incremental('append', source_table, 'created_at', '5 minutes'));
	t.healthy = await reg('transactions');
	t.failing = await reg('payments');
	t.held = await reg('accounts');
	t.stale = await reg('users');
	for (const table of [t.healthy, t.held, t.stale]) {
		const ex = await extractTable(w.ctx, table);
		expect((await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).status).toBe('loaded');
	}
	// A real failed run: the object store is down during the extract.
	const down = openPipelineContext({ source: w.source, warehouse: w.warehouse, store: { ...w.ctx.store.cfg, endpoint: 'http://127.0.0.1:9' } });
	try {
		expect((await extractTable(down, t.failing)).status).toBe('failed');
	} finally {
		await down.close();
	}
	// An old watermark while loads still run (a transaction held the window), and a table whose last load is an hour old.
	await w.wh.query(`UPDATE dwh_control.extract_watermarks SET last_extracted_at = now() - interval '2 hours' WHERE table_name = $1`, [t.held]);
	await w.wh.query(`UPDATE dwh_control.extract_watermarks SET last_loaded_at = now() - interval '1 hour' WHERE table_name = $1`, [t.stale]);
	// The PII check blocked an anonymise build (findings name column and detector only; the error text carries a value).
	await w.wh.query(
		`INSERT INTO dwh_control.anonymise_runs (source_db, source_table, input_relation, output_relation, mode, status, policy_version, as_of_date, run_started_at, run_finished_at, pii_findings, error_message)
		 VALUES ('auth_db', 'users', 'raw.auth_db__users', 'intermediate.int_auth_db__users', 'set', 'blocked', 'v1', current_date, now() - interval '2 minutes', now() - interval '1 minute',
		         '[{"column": "contact", "detector": "email", "sampleCount": 3}, {"column": "note", "detector": "sa_phone", "sampleCount": 1}]', $1)`,
		[`PII check failed: ${PII}`],
	);
	await w.wh.query(
		`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, run_started_at, run_finished_at, rows_inserted, rows_updated, rows_deleted)
		 VALUES ('tagme.user_summary', 'tagme.user_summary', 'marts.x', 'mirror', 'pushed', now() - interval '10 minutes', now() - interval '9 minutes', 40, 2, 1)`,
	);
	// The nightly dbt runs, logged as the runner logs them: a k < 10 warning and a failing revenue-critical freshness check.
	const nodes = (list: [string, string, string][]): DbtNodeResult[] =>
		list.map(([uniqueId, name, status]) => ({
			kind: 'node',
			uniqueId,
			resourceType: uniqueId.split('.')[0],
			name,
			status,
			executionTimeS: 0.2,
			startedAt: null,
			completedAt: null,
			rowsAffected: null,
			message: null,
			failures: status === 'warn' ? 6 : 0,
			relation: null,
			freshnessAgeS: uniqueId.startsWith('source.') ? 90_000 : null,
		}));
	const summary = (runId: string, command: string, status: 'success' | 'failed', n: DbtNodeResult[]) => ({
		kind: 'summary' as const,
		backend: 'core' as const,
		runId,
		command,
		status,
		exitCode: status === 'success' ? 0 : 1,
		elapsedS: 3.5,
		counts: {},
		nodeCount: n.length,
		invocationId: null,
		dbtVersion: '1.9.8',
		artifactsDir: null,
		errorMessage: status === 'success' ? null : 'freshness error',
	});
	const testNodes = nodes([
		['test.dataacuity.agg_revenue_daily_app_country_k_warn_below_10', 'agg_revenue_daily_app_country_k_warn_below_10', 'warn'],
		['test.dataacuity.intermediate_users_pii_absent', 'intermediate_users_pii_absent', 'pass'],
	]);
	const freshNodes = nodes([
		['source.dataacuity.ledger_db.transactions', 'ledger_db.transactions', 'error'],
		['source.dataacuity.auth_db.users', 'auth_db.users', 'pass'],
	]);
	await withTransaction(w.wh, async (tx) => {
		const entry = (runId: string, command: 'test' | 'source freshness') => ({
			runId,
			project: 'dataacuity',
			command: dbtCommandSchema.parse({ command }),
			executionId: null,
		});
		await recordDbtRunCompleted(tx, entry('r-test', 'test'), new Date(Date.now() - 60_000), summary('r-test', 'test', 'success', testNodes), testNodes);
		await recordDbtRunCompleted(
			tx,
			entry('r-fresh', 'source freshness'),
			new Date(Date.now() - 30_000),
			summary('r-fresh', 'source freshness', 'failed', freshNodes),
			freshNodes,
		);
	});

	login = await createLogin(w.warehouse.database, ['dwh_readonly'], 'prom_ro');
	hook = await startWebhook();
	stack = await startStack({
		db: { ...login.connection, host: '127.0.0.1', port: w.warehouse.port, database: w.warehouse.database, user: login.login, password: login.password },
		webhookUrl: hook.url,
	});
	metricsText = await eventually('the exporter to serve the dwh_* metrics', async () => {
		const text = await (await fetch(`${stack.exporterUrl}/metrics`)).text();
		return /^dwh_extract_table_enabled/m.test(text) ? text : undefined;
	});
	samples = parseMetrics(metricsText);
});

afterAll(async () => {
	await stack?.stop();
	await hook?.close();
	await login?.drop();
	await w?.close();
});

test('the exporter, logged in as dwh_readonly, reads every dwh_control query without an error', () => {
	expect(value('pg_up', {})).toEqual([1]);
	expect(value('pg_exporter_last_scrape_error', {})).toEqual([0]);
	expect(value('pg_exporter_user_queries_load_error', {}).every((v) => v === 0)).toBe(true);
	for (const family of [
		'dwh_extract_table_enabled',
		'dwh_extract_table_rows_without_watermark',
		'dwh_extract_table_watermark_not_bumped',
		'dwh_extract_runs_total',
		'dwh_anonymise_output_blocked',
		'dwh_anonymise_runs_total',
		'dwh_push_target_failed',
		'dwh_push_rows_inserted_total',
		'dwh_dbt_command_last_failed',
		'dwh_dbt_runs_total',
		'dwh_dbt_node_failed',
		'dwh_dbt_node_results_total',
		'dwh_rtbf_open_requests',
		'dwh_pipeline_alerts_open',
	]) {
		expect([family, value(family, {}).length > 0]).toEqual([family, true]);
	}
});

test('rows and bytes per table and run, durations, watermark lag, failures, blocks, push rows, dbt results: the values the run log holds', async () => {
	const loaded = (
		await w.wh.query(`SELECT rows_extracted::int AS rows, csv_bytes::int AS bytes FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'loaded'`, [
			t.healthy,
		])
	).rows[0];
	expect(loaded.rows).toBe(250);
	expect(value('dwh_extract_rows_total', { table_name: t.healthy, status: 'loaded' })).toEqual([250]);
	expect(value('dwh_extract_bytes_total', { table_name: t.healthy, status: 'loaded' })).toEqual([loaded.bytes]);
	expect(value('dwh_extract_table_last_load_rows', { table_name: t.healthy })).toEqual([250]);
	expect(value('dwh_extract_table_last_load_bytes', { table_name: t.healthy })).toEqual([loaded.bytes]);
	expect(value('dwh_extract_table_last_load_extract_seconds', { table_name: t.healthy })[0]).toBeGreaterThan(0);
	expect(value('dwh_extract_table_last_load_load_seconds', { table_name: t.healthy })[0]).toBeGreaterThan(0);
	expect(value('dwh_extract_table_cadence_seconds', { table_name: t.healthy })).toEqual([300]);
	expect(value('dwh_extract_runs_total', { table_name: t.failing, status: 'failed' })).toEqual([1]);
	expect(value('dwh_extract_table_unrecovered_failures', { table_name: t.failing })).toEqual([1]);
	expect(value('dwh_extract_table_unrecovered_failures', { table_name: t.healthy })).toEqual([0]);
	const lag = value('dwh_extract_table_watermark_lag_seconds', { table_name: t.held })[0];
	expect(lag).toBeGreaterThanOrEqual(7200);
	expect(lag).toBeLessThan(7500);
	expect(value('dwh_extract_table_watermark_held_back', { table_name: t.held })).toEqual([1]);
	expect(value('dwh_extract_table_stale', { table_name: t.stale })).toEqual([1]);
	expect(value('dwh_extract_table_stale', { table_name: t.healthy })).toEqual([0]);
	expect(value('dwh_extract_table_never_loaded', { table_name: t.failing })).toEqual([1]);
	expect(value('dwh_anonymise_output_blocked', { output_relation: 'intermediate.int_auth_db__users' })).toEqual([1]);
	expect(value('dwh_anonymise_output_pii_findings', { output_relation: 'intermediate.int_auth_db__users' })).toEqual([2]);
	expect(value('dwh_anonymise_runs_total', { source_db: 'auth_db', status: 'blocked' })).toEqual([1]);
	expect(value('dwh_push_rows_inserted_total', { target_name: 'tagme.user_summary', status: 'pushed' })).toEqual([40]);
	expect(value('dwh_push_target_last_rows_written', { target_name: 'tagme.user_summary' })).toEqual([43]);
	expect(value('dwh_dbt_node_warned', { name: 'agg_revenue_daily_app_country_k_warn_below_10', test_kind: 'k_anonymity' })).toEqual([1]);
	expect(value('dwh_dbt_node_failed', { name: 'ledger_db.transactions', test_kind: 'freshness', revenue_critical: 'true' })).toEqual([1]);
	expect(value('dwh_dbt_node_freshness_age_seconds', { name: 'ledger_db.transactions' })).toEqual([90000]);
	expect(value('dwh_dbt_node_results_total', { resource_type: 'test', status: 'warn' })).toEqual([1]);
	expect(value('dwh_dbt_runs_total', { command: 'source freshness', status: 'failed' })).toEqual([1]);
	expect(value('dwh_dbt_command_unrecovered_failures', { command: 'source freshness' })).toEqual([1]);
	expect(value('dwh_pipeline_alerts_open', { area: 'extract', alert: 'extract_failed' })).toEqual([1]);
	expect(value('dwh_rtbf_open_requests', {})).toEqual([0]);
});

test('no row value, error text or secret reaches the metrics: labels are names only', () => {
	expect(metricsText).not.toContain(PII);
	expect(metricsText).not.toContain('PII check failed');
	expect(metricsText).not.toContain('ECONNREFUSED');
	expect(metricsText).not.toContain(login.password);
	for (const s of samples.filter((x) => x.name.startsWith('dwh_'))) {
		for (const v of Object.values(s.labels)) expect([s.name, v]).toEqual([s.name, expect.stringMatching(/^[A-Za-z0-9_.:-]*( freshness)?$/)]);
	}
});

interface AmAlert {
	labels: Record<string, string>;
	status: { state: string };
}

test('Prometheus fires the right alerts; Alertmanager holds each with its severity and routes P1 to the pager, P2 to tickets', async () => {
	const expected = [
		{ alertname: 'DwhAnonymisePiiBlocked', severity: 'P1', subject: 'intermediate.int_auth_db__users' },
		{ alertname: 'DwhDbtRunFailed', severity: 'P2', subject: 'source freshness' },
		{ alertname: 'DwhExtractFailed', severity: 'P2', subject: t.failing },
		{ alertname: 'DwhExtractStale', severity: 'P1', subject: t.stale },
		{ alertname: 'DwhKAnonymityWarning', severity: 'P2', subject: 'agg_revenue_daily_app_country_k_warn_below_10' },
		{ alertname: 'DwhRevenueSourceFreshnessFailing', severity: 'P1', subject: 'ledger_db.transactions' },
		{ alertname: 'DwhWatermarkHeldBack', severity: 'P2', subject: t.held },
	];
	const subject = (l: Record<string, string>) => l.table_name ?? l.output_relation ?? l.target_name ?? (l.resource_type ? l.name : l.command) ?? '';
	const summarise = (alerts: AmAlert[]) =>
		alerts
			.map((a) => ({ alertname: a.labels.alertname, severity: a.labels.severity, subject: subject(a.labels) }))
			.sort((a, b) => a.alertname.localeCompare(b.alertname));
	const alerts = await eventually(
		'Alertmanager to hold the expected alerts',
		async () => {
			const list = (await (await fetch(`${stack.alertmanagerUrl}/api/v2/alerts`)).json()) as AmAlert[];
			return summarise(list).length >= expected.length ? list : undefined;
		},
		90_000,
	);
	expect(summarise(alerts)).toEqual(expected);
	expect(alerts.every((a) => a.status.state === 'active')).toBe(true);
	// Nothing about the healthy table.
	expect(alerts.filter((a) => a.labels.table_name === t.healthy)).toEqual([]);

	// Delivered through the shipped route tree: every P1 to the pager receiver, every P2 to tickets.
	const delivered = await eventually('Alertmanager to notify both receivers', async () => {
		const byReceiver = (r: string) => hook.received.filter((n) => n.receiver === r).flatMap((n) => n.alerts.map((a) => a.labels.alertname));
		const pager = new Set(byReceiver('pager'));
		const tickets = new Set(byReceiver('tickets'));
		return pager.size + tickets.size >= expected.length ? { pager: [...pager].sort(), tickets: [...tickets].sort() } : undefined;
	});
	expect(delivered).toEqual({
		pager: expected.filter((e) => e.severity === 'P1').map((e) => e.alertname),
		tickets: expected.filter((e) => e.severity === 'P2').map((e) => e.alertname),
	});
});

describe('the "BI Pipeline Health" dashboard (ops/grafana)', () => {
	const { raw, panels } = loadDashboard();
	const data = panels.filter((p) => p.type !== 'row');

	test('is a Grafana dashboard JSON model: unique panel ids, panels on the 24-column grid without overlaps, targets on the provisioned data sources', () => {
		const parsed = dashboardSchema.safeParse(raw);
		expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
		expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
		const cells = new Set<string>();
		for (const p of panels) {
			expect([p.title, p.gridPos.x + p.gridPos.w <= 24]).toEqual([p.title, true]);
			for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
				for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
					expect([p.title, cells.has(`${x},${y}`)]).toEqual([p.title, false]);
					cells.add(`${x},${y}`);
				}
		}
		const sources = provisionedDatasources();
		expect([...sources.entries()]).toEqual([
			['dwh-prometheus', 'prometheus'],
			['dwh-warehouse-ro', 'grafana-postgresql-datasource'],
		]);
		for (const p of data) for (const t of p.targets!) expect([p.title, sources.get(t.datasource.uid)]).toEqual([p.title, t.datasource.type]);
		// The manual's three panels and the later stages are all there.
		expect(data.map((p) => p.title)).toEqual(
			expect.arrayContaining([
				'Freshness',
				'Failures (last 24 h)',
				'Rows loaded per day',
				'Watermark lag',
				'dbt model run time',
				'dbt test results',
				'Anonymise: latest build per output',
				'Rows pushed to analytics_db per hour',
				'Erasure requests open',
			]),
		);
	});

	test("every Postgres panel's query runs as the read-only role and returns the columns the panel uses", async () => {
		const sqlPanels = data.filter((p) => p.targets!.some((t) => 'rawSql' in t));
		expect(sqlPanels.length).toBeGreaterThanOrEqual(8);
		for (const p of sqlPanels) {
			for (const t of p.targets!) {
				if (!('rawSql' in t)) continue;
				const res = await login.pool.query(expandSqlMacros(t.rawSql)).catch((e: Error) => e);
				expect([p.title, res instanceof Error ? res.message : 'ok']).toEqual([p.title, 'ok']);
				const columns = (res as { fields: { name: string }[] }).fields.map((f) => f.name);
				expect([p.title, fieldsUsed(p).filter((f) => !columns.includes(f))]).toEqual([p.title, []]);
				if (p.type === 'barchart' || p.type === 'timeseries') expect([p.title, columns[0]]).toEqual([p.title, 'time']);
			}
		}
		// The freshness panel shows the planted states, the failures panel the real failed run.
		const fresh = await login.pool.query(expandSqlMacros((data.find((p) => p.title === 'Freshness')!.targets![0] as { rawSql: string }).rawSql));
		expect(Object.fromEntries(fresh.rows.map((r) => [r.table_name, r.freshness_status]))).toEqual({
			[t.stale]: 'stale',
			[t.failing]: 'never_loaded',
			[t.healthy]: 'ok',
			[t.held]: 'ok',
		});
		const failures = await login.pool.query((data.find((p) => p.title === 'Failures (last 24 h)')!.targets![0] as { rawSql: string }).rawSql);
		expect(failures.rows.map((r) => [r.table_name, r.recovered])).toEqual([[t.failing, false]]);
		const daily = await login.pool.query(expandSqlMacros((data.find((p) => p.title === 'Rows loaded per day')!.targets![0] as { rawSql: string }).rawSql));
		expect(daily.rows.reduce((n, r) => n + Number(r.rows_loaded), 0)).toBe(250 + 7 + 9);
	});

	test("every Prometheus panel's query is accepted by Prometheus and names only metrics the exporter serves", async () => {
		const exported = new Set(samples.map((s) => s.name));
		const promPanels = data.filter((p) => p.targets!.some((x) => 'expr' in x));
		expect(promPanels.length).toBeGreaterThanOrEqual(10);
		for (const p of promPanels) {
			for (const target of p.targets!) {
				if (!('expr' in target)) continue;
				for (const m of target.expr.match(/\bdwh_[a-z0-9_]+/g) ?? []) expect([p.title, m, exported.has(m)]).toEqual([p.title, m, true]);
				const res = (await (await fetch(`${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(target.expr)}`)).json()) as {
					status: string;
					error?: string;
				};
				expect([p.title, target.refId, res.status, res.error]).toEqual([p.title, target.refId, 'success', undefined]);
			}
		}
		// Values the stat panels show for the planted state (alerts have fired by now: the alert test ran first).
		const instant = async (expr: string) =>
			(
				(await (await fetch(`${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
					data: { result: { value: [number, string] }[] };
				}
			).data.result.map((r) => Number(r.value[1]));
		const statExpr = (title: string) => (data.find((p) => p.title === title)!.targets![0] as { expr: string }).expr;
		expect(await instant(statExpr('Firing P1 alerts'))).toEqual([3]);
		expect(await instant(statExpr('PII blocks'))).toEqual([1]);
		expect(await instant(statExpr('Tables late or stale'))).toEqual([1]);
	});
});
