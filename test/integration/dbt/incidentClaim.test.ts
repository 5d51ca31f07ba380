import pg from 'pg';
import type { PostgresConnection } from '../../../src/config/connection.schema';
import { claimIncident } from '../../../src/webhook/incidentClaim';
import { signIncidentBody } from '../../../src/webhook/signature';
import { verifyIncident } from '../../../src/webhook/verifyIncident';
import { stageLogin, type Login } from '../../harness/loginRole';
import { dropDatabase } from '../../harness/testEnv';
import { migratedWarehouse } from '../../harness/migratedWarehouse';

let warehouse: PostgresConnection;
/** Superuser: migrates and checks. */
let wh: pg.Pool;
/** dbt Run's documented login (dwh_transform): the node claims incidents through it. */
let login: Login;
let dbt: pg.Pool;

beforeAll(async () => {
	({ connection: warehouse, pool: wh } = await migratedWarehouse('dbt_incident', 6));
	login = await stageLogin(warehouse.database, 'dwh_transform');
	dbt = new pg.Pool({ ...login.connection, max: 6 });
});
afterAll(async () => {
	await dbt?.end();
	await login?.drop();
	await wh?.end();
	if (warehouse) await dropDatabase(warehouse.database);
});

test('of simultaneous claims for one incident exactly one wins; after the window it may run again', async () => {
	const claim = () => claimIncident(dbt, { incidentId: 'INC-100', severity: 'P1', selection: ['source:ledger_db.transactions+'] }, 2);
	const results = await Promise.all(Array.from({ length: 6 }, claim));
	expect(results.filter((r) => r.claimed)).toHaveLength(1);
	expect(results.filter((r) => !r.claimed)).toHaveLength(5);
	const row = (await wh.query(`SELECT claim_count, duplicates_refused, selection FROM dwh_control.dbt_incident_claims WHERE incident_id = 'INC-100'`)).rows[0];
	expect(row).toEqual({ claim_count: 1, duplicates_refused: 5, selection: ['source:ledger_db.transactions+'] });

	await wh.query(`UPDATE dwh_control.dbt_incident_claims SET claimed_at = now() - interval '3 seconds' WHERE incident_id = 'INC-100'`);
	expect(await claim()).toEqual({ claimed: true, claimCount: 2 });
	expect((await claimIncident(dbt, { incidentId: 'INC-101', severity: 'P3', selection: ['a'] }, 2)).claimed).toBe(true);
});

test('verifyIncident answers 409 for a signed repeat within the window', async () => {
	const secret = 'test-secret';
	const body = JSON.stringify({ incident_id: 'INC-200', severity: 'high', impacted: { models: ['dim_user_360_anon'] } });
	const now = Math.floor(Date.now() / 1000);
	const headers = { 'x-wolverine-signature': signIncidentBody(secret, body, now), 'x-wolverine-timestamp': String(now) };
	const first = await verifyIncident({ rawBody: Buffer.from(body), headers, secret, dedup: { db: dbt, windowS: 600, executionId: 'e1' } });
	expect(first).toMatchObject({ accepted: true, incidentId: 'INC-200', severity: 'P2' });
	// Wolverine delivering the incident again signs it afresh (an exact replay is refused as 'replay': test/integration/security).
	const again = { 'x-wolverine-signature': signIncidentBody(secret, body, now - 1), 'x-wolverine-timestamp': String(now - 1) };
	const second = await verifyIncident({ rawBody: Buffer.from(body), headers: again, secret, dedup: { db: dbt, windowS: 600, executionId: 'e2' } });
	expect(second).toMatchObject({ accepted: false, httpStatus: 409, reason: 'duplicate', incidentId: 'INC-200' });
	expect(!second.accepted && second.message).toMatch(/^incident INC-200 already started a rerun at \d{4}-\d\d-\d\d .*; repeats within 600s are ignored$/);
	// An unsigned repeat never reaches the claim table.
	const unsigned = await verifyIncident({ rawBody: Buffer.from(body), headers: {}, secret, dedup: { db: dbt, windowS: 600 } });
	expect(unsigned).toMatchObject({ accepted: false, httpStatus: 401 });
	const row = (await wh.query(`SELECT duplicates_refused, n8n_execution_id FROM dwh_control.dbt_incident_claims WHERE incident_id = 'INC-200'`)).rows[0];
	expect(row).toEqual({ duplicates_refused: 1, n8n_execution_id: 'e1' });
});
