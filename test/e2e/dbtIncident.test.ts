import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signIncidentBody } from '../../src/webhook/signature';
import { requireDbt } from '../integration/dbt/dbtFixtures';
import { importWorkflowFiles, newInstance, WORKFLOWS_DIR } from './harness/instance';
import { n8nCliOk, startN8nProcess, type N8nInstance, type N8nServer } from './harness/n8nProcess';
import { createPipeline, type E2ePipeline } from './harness/pipeline';
import { N8nRest } from './harness/rest';

/**
 * The shipped incident workflow (workflows/dwh-dbt-incident-rerun.json) live in real n8n 1.123: a signed Wolverine
 * webhook reruns exactly the impacted models with the real dbt CLI and answers with the per-model results; an
 * unsigned or stale request gets 401 and starts nothing; the same incident again within the window gets 409.
 */
const TIMEOUT = 10 * 60_000;
const SECRET = 'e2e-only-wolverine-secret';
const WORKFLOW_ID = 'dwhDbtIncident01';

let inst: N8nInstance;
let p: E2ePipeline;
let server: N8nServer;
let artifactsDir: string;
let hookUrl: string;

const runDirs = () => readdirSync(artifactsDir);

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

function signed(body: string, at = Math.floor(Date.now() / 1000)): Record<string, string> {
	return { 'x-wolverine-signature': signIncidentBody(SECRET, body, at), 'x-wolverine-timestamp': String(at) };
}

beforeAll(async () => {
	const dbtBin = requireDbt();
	inst = newInstance('n8n1', 'dbt-incident')!;
	p = await createPipeline('e2e_dbt');
	// Bronze + Anonymise output as the marts expect them (bronze names use the production source db names).
	await p.wh.query(`CREATE SCHEMA IF NOT EXISTS raw; CREATE SCHEMA IF NOT EXISTS intermediate; CREATE EXTENSION IF NOT EXISTS pgcrypto`);
	await p.wh.query(`CREATE TABLE raw.ledger_db__transactions (id bigint PRIMARY KEY, account_id bigint NOT NULL, user_id bigint NOT NULL, direction text, amount_zar numeric(18,2),
		category text, merchant_name text, reference text, channel text, created_at timestamptz, _dwh_run_id bigint NOT NULL DEFAULT 1, _dwh_loaded_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO raw.ledger_db__transactions (id, account_id, user_id, direction, amount_zar, category, reference, channel, created_at)
		SELECT g, g % 60 + 1, g % 60 + 1, CASE WHEN g % 7 = 0 THEN 'credit' ELSE 'debit' END, g * 1.25, 'groceries', 'R' || g, 'card', now() - (g % 10) * interval '1 day'
		  FROM generate_series(1, 300) g`);

	artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-dbt-runs-'));
	const creds = [
		{
			id: 'dwhTestDbtCred01',
			name: 'DataAcuity dbt',
			type: 'dataAcuityDbt',
			// Test values only, generated per run: the webhook secret exists nowhere but in this credential.
			data: { dbtBin, artifactsDir, connectionSource: 'credential', defaultSchema: 'dbt', webhookSecret: SECRET, cloudBaseUrl: 'http://127.0.0.1:9', cloudAccountId: '', cloudToken: '' },
		},
	];
	const credFile = path.join(inst.userFolder, 'dbt-credentials.json');
	writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
	await p.importCredentials(inst);
	await n8nCliOk(inst, ['import:credentials', `--input=${credFile}`]);
	await importWorkflowFiles(inst, [path.join(WORKFLOWS_DIR, 'dwh-dbt-incident-rerun.json')]);

	server = await startN8nProcess(inst, 'start', { name: 'dbt-incident-main' });
	const rest = new N8nRest(server.baseUrl);
	await rest.setupOwner();
	await rest.createApiKey();
	await rest.request('POST', `/api/v1/workflows/${WORKFLOW_ID}/activate`, undefined, { publicApi: true });
	hookUrl = `${server.baseUrl}/webhook/dataacuity/dbt-incident-rerun`;
}, TIMEOUT);

afterAll(async () => {
	await server?.stop();
	await p?.close();
}, 60_000);

test('an unsigned, a stale and a wrongly signed request get 401 and start nothing', async () => {
	const body = JSON.stringify({ incident_id: 'INC-E2E-0', severity: 'P1', impacted: { models: ['stg_ledger_db__transactions'] } });
	const before = runDirs();
	const unsigned = await post(body, {});
	expect(unsigned).toMatchObject({ status: 401, json: { accepted: false, reason: 'missing_signature' } });
	const stale = await post(body, signed(body, Math.floor(Date.now() / 1000) - 3600));
	expect(stale).toMatchObject({ status: 401, json: { accepted: false, reason: 'stale' } });
	const forged = await post(body.replace('P1', 'P4'), signed(body));
	expect(forged).toMatchObject({ status: 401, json: { accepted: false, reason: 'bad_signature' } });
	expect(runDirs()).toEqual(before);
	const claims = await p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.dbt_incident_claims`);
	expect(claims.rows[0].n).toBe(0);
	const built = await p.wh.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema IN ('staging', 'marts') AND table_name LIKE 'stg_%'`);
	expect(built.rows[0].n).toBe(0);
}, TIMEOUT);

test('a signed incident reruns exactly the impacted models and answers with the per-model results', async () => {
	const body = JSON.stringify({ incident_id: 'INC-E2E-1', severity: 'high', title: 'ledger replica lag', impacted: { models: ['stg_ledger_db__transactions'] } });
	const r = await post(body, signed(body));
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

	const views = await p.wh.query(`SELECT table_schema || '.' || table_name AS rel FROM information_schema.tables WHERE table_schema IN ('staging', 'marts') ORDER BY 1`);
	expect(views.rows.map((x) => x.rel)).toEqual(['marts.dim_fx_rates_daily', 'marts.dim_holidays', 'marts.dim_places', 'staging.stg_ledger_db__transactions'].filter((rel) => !rel.startsWith('marts.') || views.rows.some((x) => x.rel === rel)));
	const n = await p.wh.query(`SELECT count(*)::int AS n FROM staging.stg_ledger_db__transactions`);
	expect(n.rows[0].n).toBe(300);
	const claim = await p.wh.query(`SELECT severity, selection FROM dwh_control.dbt_incident_claims WHERE incident_id = 'INC-E2E-1'`);
	expect(claim.rows).toEqual([{ severity: 'P2', selection: ['stg_ledger_db__transactions'] }]);
}, TIMEOUT);

test('the same incident again within the window gets 409 and starts no second run', async () => {
	const body = JSON.stringify({ incident_id: 'INC-E2E-1', severity: 'high', impacted: { models: ['stg_ledger_db__transactions'] } });
	const before = runDirs();
	const r = await post(body, signed(body));
	expect(r).toMatchObject({ status: 409, json: { accepted: false, reason: 'duplicate', incidentId: 'INC-E2E-1' } });
	expect(runDirs()).toEqual(before);
}, TIMEOUT);

test('a signed payload with a selector-like injection is refused with 400 before dbt starts', async () => {
	const body = JSON.stringify({ incident_id: 'INC-E2E-2', severity: 'P1', impacted: { models: ['x; rm -rf /'] } });
	const before = runDirs();
	const r = await post(body, signed(body));
	expect(r.status).toBe(400);
	expect(r.json).toMatchObject({ accepted: false, reason: 'invalid_payload' });
	expect(String((r.json as { message: string }).message)).toMatch(/^impacted.models.0: impacted.models entries must be dbt model names/);
	expect(runDirs()).toEqual(before);
}, TIMEOUT);
