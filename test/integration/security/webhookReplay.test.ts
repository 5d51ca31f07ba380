import pg from 'pg';
import type { PostgresConnection } from '../../../src/config/connection.schema';
import { signIncidentBody } from '../../../src/webhook/signature';
import { verifyIncident } from '../../../src/webhook/verifyIncident';
import { createLogin, stageLogin, type Login } from '../../harness/loginRole';
import { dropDatabase } from '../../harness/testEnv';
import { migratedWarehouse } from '../../harness/migratedWarehouse';

/**
 * A captured, validly signed request replayed at any moment its signature still passes the age check never
 * starts a second run, for every combination of Max Request Age and (allowed) Duplicate Window. The webhook's
 * warehouse work runs as a login of the ETL role, as the DbtRun node's warehouse credential does.
 */
let warehouse: PostgresConnection;
let admin: pg.Pool;
let etl: Login;
const secret = 'test-only-webhook-secret';

beforeAll(async () => {
	({ connection: warehouse, pool: admin } = await migratedWarehouse('webhook_replay', 2));
	etl = await stageLogin(warehouse.database, 'dwh_transform'); // dbt Run's documented login verifies the webhook
});
afterAll(async () => {
	await etl?.drop();
	await admin?.end();
	if (warehouse) await dropDatabase(warehouse.database);
});

const captured = (incidentId: string, ts: number) => {
	const body = Buffer.from(JSON.stringify({ incident_id: incidentId, severity: 'P1', impacted: { models: ['fct_revenue'] } }));
	return { rawBody: body, headers: { 'X-Wolverine-Signature': signIncidentBody(secret, body, ts), 'X-Wolverine-Timestamp': String(ts) } };
};

const combos: [number, number][] = [
	[1, 2],
	[60, 120],
	[60, 121],
	[300, 600],
	[300, 900],
	[3600, 7200],
	[3600, 86_400],
];

test.each(combos)('Max Request Age %is, Duplicate Window %is: a captured request never starts a second run', async (toleranceS, windowS) => {
	const id = `INC-${toleranceS}-${windowS}`;
	const now = Math.floor(Date.now() / 1000);
	// Signed with a timestamp as far in the future as is accepted: the longest-lived a captured request can be.
	const req = captured(id, now + toleranceS);
	const verify = (nowS: number, r = req, executionId = 'x') =>
		verifyIncident({ ...r, secret, toleranceS, nowS, dedup: { db: etl.pool, windowS, executionId } });

	expect(await verify(now)).toMatchObject({ accepted: true, incidentId: id });
	expect(await verify(now)).toMatchObject({ accepted: false, httpStatus: 409, reason: 'replay' });

	// The incident's duplicate window runs out (older claim), while the signature is still valid to its last second.
	await admin.query(`UPDATE dwh_control.dbt_incident_claims SET claimed_at = now() - make_interval(secs => $2 + 1) WHERE incident_id = $1`, [id, windowS]);
	const lastValid = now + 2 * toleranceS;
	expect(await verify(lastValid)).toMatchObject({ accepted: false, httpStatus: 409, reason: 'replay' });
	expect(await verify(lastValid + 1)).toMatchObject({ accepted: false, httpStatus: 401, reason: 'stale' });

	// A new delivery of the incident (signed afresh) after the window is a legitimate rerun.
	expect(await verify(now, captured(id, now))).toMatchObject({ accepted: true });
	const row = (await admin.query(`SELECT claim_count FROM dwh_control.dbt_incident_claims WHERE incident_id = $1`, [id])).rows[0];
	expect(row.claim_count).toBe(2);
	const replays = (await admin.query(`SELECT sum(replays_refused)::int AS n FROM dwh_control.dbt_webhook_requests WHERE incident_id = $1`, [id])).rows[0].n;
	expect(replays).toBe(2);
});

test('of simultaneous replays of one captured request exactly one is accepted', async () => {
	const now = Math.floor(Date.now() / 1000);
	const req = captured('INC-RACE', now);
	const results = await Promise.all(
		Array.from({ length: 6 }, (_, k) => verifyIncident({ ...req, secret, dedup: { db: etl.pool, windowS: 600, executionId: `e${k}` } })),
	);
	expect(results.filter((r) => r.accepted)).toHaveLength(1);
	expect(results.filter((r) => !r.accepted).map((r) => !r.accepted && r.httpStatus)).toEqual([409, 409, 409, 409, 409]);
});

test('settings that would let a replay through are refused before the request is looked at', async () => {
	const now = Math.floor(Date.now() / 1000);
	const req = captured('INC-CONFIG', now);
	for (const [toleranceS, windowS] of [
		[300, 0],
		[300, 299],
		[300, 599],
		[0, 600],
		[3601, 9000],
	]) {
		await expect(verifyIncident({ ...req, secret, toleranceS, dedup: { db: etl.pool, windowS } })).rejects.toThrow(
			/Invalid incident webhook settings: (Duplicate Window|Max Request Age)/,
		);
	}
	expect((await admin.query(`SELECT count(*)::int AS n FROM dwh_control.dbt_webhook_requests WHERE incident_id = 'INC-CONFIG'`)).rows[0].n).toBe(0);
});

test('dwh_readonly sees the replay audit, not a MAC it could reuse', async () => {
	const reader = await createLogin(warehouse.database, ['dwh_readonly'], 'webhook_reader');
	try {
		const { rows } = await reader.pool.query(
			`SELECT request_digest, incident_id, replays_refused FROM dwh_control.dbt_webhook_requests WHERE incident_id = 'INC-RACE'`,
		);
		expect(rows).toHaveLength(1);
		expect(rows[0].replays_refused).toBe(5);
		expect(rows[0].request_digest).toMatch(/^[0-9a-f]{64}$/);
		await expect(reader.pool.query(`DELETE FROM dwh_control.dbt_webhook_requests`)).rejects.toMatchObject({ code: '42501' });
	} finally {
		await reader.drop();
	}
});
