import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signIncidentBody } from '../../src/webhook/signature';
import { requireDbt, seedWarehouseDirect } from '../integration/dbt/dbtFixtures';
import { describeRun, executeWorkflow, importWorkflowObject, nodeItems } from './harness/instance';
import { startN8nProcess, type N8nServer } from './harness/n8nProcess';
import { CREDENTIALS, pipelineSuite } from './harness/pipeline';
import { N8nRest } from './harness/rest';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * The shipped incident workflow (workflows/dwh-dbt-incident-rerun.json) live in real n8n 1.123 (Node 20) and 2.41 (Node
 * 24): a signed Wolverine webhook reruns exactly the impacted models with the real dbt CLI and answers with the
 * per-model results; an unsigned or stale request gets 401 and starts nothing; the same incident again within the
 * window gets 409, and so does the captured request replayed after the window.
 */
const TIMEOUT = 10 * 60_000;
const SECRET = 'e2e-only-wolverine-secret';
const WORKFLOW_ID = 'dwhDbtIncident01';
/**
 * The harness's id for the "DataAcuity dbt" credential: this file re-imports it under the same id with its own
 * data (dbt path, artifacts dir, webhook secret), which replaces the harness's defaults-only copy, so name-based
 * resolution in the shipped workflow always finds this one.
 */
const DBT_CREDENTIAL_ID = 'dwhTestDbt000001';

describe.each(RUNTIME_KEYS)('the dbt incident webhook on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'dbt-incident', 'e2e_dbt', { close: () => server?.stop() });
	let server: N8nServer;
	let artifactsDir: string;
	let hookUrl: string;

	const runDirs = () => readdirSync(artifactsDir);

	/** Relations of the dbt project's models that exist in the warehouse. */
	async function builtModels(): Promise<string[]> {
		const { rows } = await w.p.wh.query<{ rel: string }>(
			`SELECT table_schema || '.' || table_name AS rel FROM information_schema.tables
			  WHERE table_schema = 'staging' OR (table_schema = 'marts' AND table_name IN ('fct_ledger_transactions_anon', 'dim_user_360_anon', 'agg_revenue_daily_app_country'))
			  ORDER BY 1`,
		);
		return rows.map((r) => r.rel);
	}

	/** A one-node workflow (manual trigger → DbtRun) run headlessly with `execute --id`. */
	async function runDbtHeadless(name: string, parameters: Record<string, unknown>) {
		const id = `dwhDbtE2e${Math.random().toString(36).slice(2, 8)}`;
		await importWorkflowObject(w.inst, {
			id,
			name,
			active: false,
			nodes: [
				{ id: 'a1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
				{
					id: 'a2',
					name: 'DbtRun',
					type: 'n8n-nodes-dataacuity.dbtRun',
					typeVersion: 1,
					position: [240, 0],
					parameters,
					credentials: {
						dataAcuityDbt: { id: DBT_CREDENTIAL_ID, name: 'DataAcuity dbt' },
						dataAcuityPostgres: { id: CREDENTIALS.warehouse.id, name: CREDENTIALS.warehouse.name },
					},
				},
			],
			connections: { Start: { main: [[{ node: 'DbtRun', type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1' },
		});
		return executeWorkflow(w.inst, id);
	}

	async function post(body: string, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
		const res = await fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
		const text = await res.text();
		let json: unknown = text;
		try {
			json = JSON.parse(text);
		} catch {
			/* keep text */
		}
		return { status: res.status, json };
	}

	/** An incident as Wolverine posts it. */
	const incident = (incident_id: string, severity: string, models: string[]) => JSON.stringify({ incident_id, severity, impacted: { models } });

	/** Posts to the webhook (signed now unless told) and checks that the request started no dbt run (no new run folder). */
	async function postStartingNothing(body: string, headers = signed(body)): Promise<{ status: number; json: unknown }> {
		const before = runDirs();
		const r = await post(body, headers);
		expect(runDirs()).toEqual(before);
		return r;
	}

	let capturedRequest: { body: string; headers: Record<string, string> };

	function signed(body: string, at = Math.floor(Date.now() / 1000)): Record<string, string> {
		return { 'x-wolverine-signature': signIncidentBody(SECRET, body, at), 'x-wolverine-timestamp': String(at) };
	}

	beforeAll(async () => {
		const dbtBin = requireDbt();
		// Bronze (production source db names), Anonymise output and FX rates as the marts expect them.
		await seedWarehouseDirect(w.p.wh, { ledger: 'ledger_db', auth: 'auth_db' });

		artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-dbt-runs-'));
		const creds = [
			{
				id: DBT_CREDENTIAL_ID,
				name: 'DataAcuity dbt',
				type: 'dataAcuityDbt',
				// Test values only, generated per run: the webhook secret exists nowhere but in this credential.
				data: {
					dbtBin,
					artifactsDir,
					connectionSource: 'credential',
					defaultSchema: 'dbt',
					webhookSecret: SECRET,
					cloudBaseUrl: 'http://127.0.0.1:9',
					cloudAccountId: '',
					cloudToken: '',
				},
			},
		];
		await w.importShipped(['dwh-dbt-incident-rerun.json'], creds);

		server = await startN8nProcess(w.inst, 'start', { name: `dbt-incident-${key}-main` });
		const rest = new N8nRest(server.baseUrl);
		await rest.setupOwner();
		await rest.createApiKey();
		await rest.activate(WORKFLOW_ID, key);
		hookUrl = `${server.baseUrl}/webhook/dataacuity/dbt-incident-rerun`;
	}, TIMEOUT);

	test(
		'an unsigned, a stale and a wrongly signed request get 401 and start nothing',
		async () => {
			const body = incident('INC-E2E-0', 'P1', ['stg_ledger_db__transactions']);
			const unsigned = await postStartingNothing(body, {});
			expect(unsigned).toMatchObject({ status: 401, json: { accepted: false, reason: 'missing_signature' } });
			const stale = await postStartingNothing(body, signed(body, Math.floor(Date.now() / 1000) - 3600));
			expect(stale).toMatchObject({ status: 401, json: { accepted: false, reason: 'stale' } });
			const forged = await postStartingNothing(body.replace('P1', 'P4'), signed(body));
			expect(forged).toMatchObject({ status: 401, json: { accepted: false, reason: 'bad_signature' } });
			const claims = await w.p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.dbt_incident_claims`);
			expect(claims.rows[0].n).toBe(0);
			expect(await builtModels()).toEqual([]);
		},
		TIMEOUT,
	);

	test(
		'a signed incident reruns exactly the impacted models and answers with the per-model results',
		async () => {
			const body = JSON.stringify({
				incident_id: 'INC-E2E-1',
				severity: 'high',
				title: 'ledger replica lag',
				impacted: { models: ['stg_ledger_db__transactions'] },
			});
			capturedRequest = { body, headers: signed(body) };
			const r = await post(body, capturedRequest.headers);
			expect(r.status).toBe(200);
			const items = r.json as Array<Record<string, unknown>>;
			const summary = items.find((i) => i.kind === 'summary')!;
			expect(summary).toMatchObject({ backend: 'core', command: 'build', status: 'success', exitCode: 0 });
			const models = items.filter((i) => i.resourceType === 'model').map((i) => [i.name, i.status]);
			expect(models).toEqual([['stg_ledger_db__transactions', 'success']]);
			// Its tests ran in the same build and passed; nothing else was selected.
			const tests = items.filter((i) => i.resourceType === 'test');
			expect(tests.length).toBeGreaterThanOrEqual(5);
			expect(tests.every((t) => t.status === 'pass' && String(t.name).includes('stg_ledger_db__transactions'))).toBe(true);
			expect(runDirs()).toHaveLength(1);

			expect(await builtModels()).toEqual(['staging.stg_ledger_db__transactions']);
			const n = await w.p.wh.query(`SELECT count(*)::int AS n FROM staging.stg_ledger_db__transactions`);
			expect(n.rows[0].n).toBe(600);
			const claim = await w.p.wh.query(`SELECT severity, selection FROM dwh_control.dbt_incident_claims WHERE incident_id = 'INC-E2E-1'`);
			expect(claim.rows).toEqual([{ severity: 'P2', selection: ['stg_ledger_db__transactions'] }]);
		},
		TIMEOUT,
	);

	test(
		'the same incident again within the window gets 409 and starts no second run',
		async () => {
			const r = await postStartingNothing(incident('INC-E2E-1', 'high', ['stg_ledger_db__transactions']));
			expect(r).toMatchObject({ status: 409, json: { accepted: false, reason: 'duplicate', incidentId: 'INC-E2E-1' } });
		},
		TIMEOUT,
	);

	test(
		'the captured request replayed byte for byte gets 409 replay and starts no second run',
		async () => {
			await w.p.wh.query(`UPDATE dwh_control.dbt_incident_claims SET claimed_at = now() - interval '1 day' WHERE incident_id = 'INC-E2E-1'`);
			const r = await postStartingNothing(capturedRequest.body, capturedRequest.headers);
			expect(r).toMatchObject({ status: 409, json: { accepted: false, reason: 'replay', incidentId: 'INC-E2E-1' } });
		},
		TIMEOUT,
	);

	test(
		'a signed payload with a selector-like injection is refused with 400 before dbt starts',
		async () => {
			const r = await postStartingNothing(incident('INC-E2E-2', 'P1', ['x; rm -rf /']));
			expect(r.status).toBe(400);
			expect(r.json).toMatchObject({ accepted: false, reason: 'invalid_payload' });
			expect(String((r.json as { message: string }).message)).toMatch(/^impacted.models.0: impacted.models entries must be dbt model names/);
		},
		TIMEOUT,
	);

	test(
		'headless: dbt build of everything downstream of a loaded table builds the marts and passes their tests',
		async () => {
			const r = await runDbtHeadless('dbt downstream', {
				operation: 'runCommand',
				command: 'build',
				select: 'source:ledger_db.transactions+ source:auth_db.users+',
			});
			if (!r.ok) throw new Error(describeRun(r));
			const items = nodeItems(r.output!, 'DbtRun');
			expect(items.at(-1)).toMatchObject({ kind: 'summary', status: 'success', exitCode: 0 });
			expect(
				items
					.filter((i) => i.resourceType === 'model')
					.map((i) => i.name)
					.sort(),
			).toEqual(['agg_revenue_daily_app_country', 'dim_user_360_anon', 'fct_ledger_transactions_anon', 'stg_auth_db__users', 'stg_ledger_db__transactions']);
			expect(items.filter((i) => ['error', 'fail', 'skipped'].includes(String(i.status)))).toEqual([]);
			expect(items.find((i) => i.name === 'fct_ledger_transactions_anon')).toMatchObject({ status: 'success', rowsAffected: 600 });
			const fct = await w.p.wh.query(`SELECT count(*)::int AS n FROM marts.fct_ledger_transactions_anon`);
			expect(fct.rows[0].n).toBe(600);
		},
		TIMEOUT,
	);

	test(
		"headless: a failing model fails the node with dbt's database message",
		async () => {
			await w.p.wh.query(`ALTER TABLE intermediate.enr_ledger_transactions RENAME TO enr_ledger_transactions_gone`);
			try {
				const r = await runDbtHeadless('dbt failing model', { operation: 'runCommand', command: 'run', select: 'fct_ledger_transactions_anon' });
				expect(r.ok).toBe(false);
				expect(r.code).toBe(1);
				const error = JSON.stringify(r.output?.data.resultData.error ?? r.output?.data.resultData.runData.DbtRun?.[0]?.error ?? r.stdout);
				expect(error).toContain('dbt run failed: model.dataacuity.fct_ledger_transactions_anon: Database Error in model fct_ledger_transactions_anon');
				expect(error).toMatch(/relation \\?"intermediate\.enr_ledger_transactions\\?" does not exist/);
			} finally {
				await w.p.wh.query(`ALTER TABLE intermediate.enr_ledger_transactions_gone RENAME TO enr_ledger_transactions`);
			}
		},
		TIMEOUT,
	);
});
