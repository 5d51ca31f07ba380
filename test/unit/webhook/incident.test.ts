import { wolverineIncidentSchema } from '../../../src/webhook/incident.schema';
import { bronzeRef, incidentToDbtCommand } from '../../../src/webhook/incidentSelection';
import { signIncidentBody } from '../../../src/webhook/signature';
import { verifyIncident } from '../../../src/webhook/verifyIncident';

test('impacted sources map to everything downstream; impacted models to exactly those models', () => {
	const incident = wolverineIncidentSchema.parse({
		incident_id: 'INC-7',
		severity: 'critical',
		impacted: { sources: ['ledger_db.transactions', 'raw.auth_db__users'], tables: ['ledger_db__transactions'], models: ['dim_user_360_anon'] },
	});
	expect(incident.severity).toBe('P1');
	expect(incidentToDbtCommand(incident)).toEqual({
		command: 'build',
		select: ['dim_user_360_anon', 'source:auth_db.users+', 'source:ledger_db.transactions+'],
		vars: { wolverine_incident_id: 'INC-7', wolverine_severity: 'P1' },
	});
	const downstream = wolverineIncidentSchema.parse({
		incident_id: 'I',
		severity: 'P3',
		impacted: { models: ['stg_auth_db__users'], include_downstream: true },
	});
	expect(incidentToDbtCommand(downstream).select).toEqual(['stg_auth_db__users+']);
	expect(bronzeRef('tagme_db__check_ins')).toEqual(['tagme_db', 'check_ins']);
});

test.each([
	[{ severity: 'P1', impacted: { models: ['a'] } }, 'incident_id: incident_id is required'],
	[{ incident_id: 'INC 1', severity: 'P1', impacted: { models: ['a'] } }, 'incident_id: incident_id must be'],
	[{ incident_id: 'I', severity: 'urgent', impacted: { models: ['a'] } }, 'severity: severity "urgent" is not one of'],
	[{ incident_id: 'I', severity: 'P1', impacted: {} }, 'impacted: impacted must name at least one'],
	[{ incident_id: 'I', severity: 'P1', impacted: { models: ['x; rm -rf /'] } }, 'impacted.models.0: impacted.models entries must be dbt model names'],
	[{ incident_id: 'I', severity: 'P1', impacted: { sources: ['--select *'] } }, 'impacted.sources.0: impacted.sources entries must name a bronze table'],
	[{ incident_id: 'I', severity: 'P1', impacted: { models: ['a'], shell: 'x' } }, "impacted: Unrecognized key(s) in object: 'shell'"],
])('bad payload %j is refused with a message naming the field', (payload, message) => {
	const r = wolverineIncidentSchema.safeParse(payload);
	expect(r.success).toBe(false);
	expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toContain(message);
});

describe('verifyIncident (signature, then payload; dedup is covered against Postgres in test/integration/dbt)', () => {
	const secret = 's';
	const now = Math.floor(Date.now() / 1000);
	const sign = (body: string) => ({ 'X-Wolverine-Signature': signIncidentBody(secret, body, now), 'X-Wolverine-Timestamp': String(now) });

	test('a signed valid incident is accepted with its dbt command', async () => {
		const body = JSON.stringify({ incident_id: 'INC-1', severity: 'P2', impacted: { sources: ['ledger_db.transactions'] } });
		const v = await verifyIncident({ rawBody: Buffer.from(body), headers: sign(body), secret });
		expect(v).toMatchObject({
			accepted: true,
			httpStatus: 200,
			incidentId: 'INC-1',
			dbtCommand: { command: 'build', select: ['source:ledger_db.transactions+'] },
		});
	});

	test('an unsigned request is 401 before its payload is even looked at', async () => {
		const v = await verifyIncident({ rawBody: 'not json', headers: {}, secret });
		expect(v).toMatchObject({ accepted: false, httpStatus: 401, reason: 'missing_signature' });
	});

	test('a signed but invalid payload is 400 with the field named', async () => {
		const body = JSON.stringify({ incident_id: 'INC-1', severity: 'P2', impacted: { models: ['x; rm -rf /'] } });
		const v = await verifyIncident({ rawBody: body, headers: sign(body), secret });
		expect(v).toMatchObject({ accepted: false, httpStatus: 400, reason: 'invalid_payload' });
		expect(!v.accepted && v.message).toMatch(/^impacted.models.0: /);
	});
});
