import { DbtRun } from '../../../nodes/DbtRun/DbtRun.node';
import { cloudConfigFromCredential, coreConfigFromCredential, webhookSecretFromCredential } from '../../../nodes/DbtRun/dbtCredential';
import { DataAcuityDbt } from '../../../credentials/DataAcuityDbt.credentials';
import { dbtCoreConfigSchema } from '../../../src/dbt/coreConfig.schema';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';

const warehouse = postgresConnectionSchema.parse({ host: 'wh', database: 'dw', user: 'dwh_user', password: 'pw' });

test('the credential maps onto the core config: pass-through names split, unknown source falls back to the credential', () => {
	const cfg = coreConfigFromCredential(
		{ dbtBin: ' /opt/dbt ', envPassthrough: 'A_VAR, B_VAR  C_VAR', connectionSource: 'environment', defaultSchema: '' },
		warehouse,
		{ lockWaitMs: 5000, timeoutMs: 0 },
	);
	expect(dbtCoreConfigSchema.parse(cfg)).toMatchObject({
		dbtBin: '/opt/dbt',
		envPassthrough: ['A_VAR', 'B_VAR', 'C_VAR'],
		connectionSource: 'environment',
		defaultSchema: 'dbt',
		lockWaitMs: 5000,
		warehouse,
	});
	expect(coreConfigFromCredential({ connectionSource: 'something' }, warehouse, { lockWaitMs: 0, timeoutMs: 0 }).connectionSource).toBe('credential');
});

test('missing dbt Cloud or webhook settings name the credential field to fill in', () => {
	expect(() => cloudConfigFromCredential({ cloudToken: 't' }, { pollIntervalMs: 1000, timeoutMs: 60_000 })).toThrow(
		'The DataAcuity Dbt credential has no dbt Cloud Account ID, needed to trigger dbt Cloud jobs',
	);
	expect(cloudConfigFromCredential({ cloudAccountId: '42', cloudToken: 't', cloudBaseUrl: '' }, { pollIntervalMs: 1000, timeoutMs: 60_000 })).toMatchObject({
		baseUrl: 'https://cloud.getdbt.com',
		accountId: '42',
	});
	expect(() => webhookSecretFromCredential({})).toThrow(/no Wolverine Webhook Secret/);
	expect(webhookSecretFromCredential({ webhookSecret: ' s ' })).toBe(' s ');
});

test('the node offers the three operations; secrets are password fields of the credential', () => {
	const d = new DbtRun().description;
	const op = d.properties.find((p) => p.name === 'operation')!;
	expect((op.options as Array<{ value: string }>).map((o) => o.value)).toEqual(['runCommand', 'triggerCloudJob', 'verifyIncident']);
	const commands = d.properties.find((p) => p.name === 'command')!.options as Array<{ value: string }>;
	expect(commands.map((c) => c.value).sort()).toEqual(['build', 'retry', 'run', 'seed', 'source freshness', 'test']);
	const cred = new DataAcuityDbt().properties;
	for (const secret of ['cloudToken', 'webhookSecret']) expect(cred.find((p) => p.name === secret)?.typeOptions?.password).toBe(true);
});
