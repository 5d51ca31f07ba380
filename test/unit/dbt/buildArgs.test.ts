import { buildDbtArgs } from '../../../src/dbt/buildArgs';
import { dbtCommandSchema } from '../../../src/dbt/command.schema';
import { splitCommandPrefix } from '../../../src/dbt/commandPrefix';
import { dbtEnvironment } from '../../../src/dbt/dbtEnvironment';
import { dbtCoreConfigSchema } from '../../../src/dbt/coreConfig.schema';
import { statusFromExitCode } from '../../../src/dbt/exitStatus';

const dirs = { projectDir: '/p', profilesDir: '/prof' };
const paths = { targetPath: '/runs/r1/target', logPath: '/runs/r1/logs' };

test('every option becomes its own argv element, flags come only from the builder', () => {
	const cmd = dbtCommandSchema.parse({
		command: 'build',
		select: ['source:ledger_db.transactions+ tag:x', 'stg_a'],
		exclude: ['tag:slow'],
		vars: { incident: 'INC-1; rm -rf /' },
		fullRefresh: true,
		target: 'prod',
		threads: 4,
	});
	expect(buildDbtArgs(cmd, dirs, paths)).toEqual([
		'build',
		'--project-dir',
		'/p',
		'--profiles-dir',
		'/prof',
		'--target-path',
		'/runs/r1/target',
		'--log-path',
		'/runs/r1/logs',
		'--log-format',
		'json',
		'--log-format-file',
		'json',
		'--no-use-colors',
		'--no-send-anonymous-usage-stats',
		'--no-version-check',
		'--target',
		'prod',
		'--threads',
		'4',
		'--select',
		'source:ledger_db.transactions+',
		'tag:x',
		'stg_a',
		'--exclude',
		'tag:slow',
		'--vars',
		'{"incident":"INC-1; rm -rf /"}',
		'--full-refresh',
	]);
});

test('source freshness is two words; retry reads the earlier run through --state', () => {
	expect(buildDbtArgs(dbtCommandSchema.parse({ command: 'source freshness', select: ['source:ledger_db'] }), dirs, paths).slice(0, 3)).toEqual([
		'source',
		'freshness',
		'--project-dir',
	]);
	const retry = buildDbtArgs(dbtCommandSchema.parse({ command: 'retry', retryOf: '/runs/r0/target' }), dirs, paths);
	expect(retry.slice(-2)).toEqual(['--state', '/runs/r0/target']);
});

test('command prefix is split like argv, without a shell', () => {
	expect(splitCommandPrefix('docker exec -i dbt_transform')).toEqual(['docker', 'exec', '-i', 'dbt_transform']);
	expect(splitCommandPrefix(`ssh -o "ProxyCommand none" 'dbt host'`)).toEqual(['ssh', '-o', 'ProxyCommand none', 'dbt host']);
	expect(splitCommandPrefix('   ')).toEqual([]);
	expect(() => splitCommandPrefix('docker exec x; rm -rf /')).toThrow(/";" would need a shell/);
	expect(() => splitCommandPrefix('sudo $(whoami)')).toThrow(/"\$" would need a shell/);
	expect(() => splitCommandPrefix('docker "exec')).toThrow(/unterminated quote/);
});

test("dbt's environment is an allow-list: n8n's secrets never reach it, the warehouse password goes in dbt's scrubbed variable", () => {
	const cfg = dbtCoreConfigSchema.parse({
		warehouse: { host: 'wh', port: 5433, database: 'dw', user: 'dwh_user', password: 's3cret', maxConnections: 8 },
		envPassthrough: ['MY_PROFILE_VAR'],
	});
	const env = dbtEnvironment(cfg, {
		PATH: '/bin',
		N8N_ENCRYPTION_KEY: 'k',
		DB_POSTGRESDB_PASSWORD: 'p',
		MY_PROFILE_VAR: 'v',
		DBT_PARTIAL_PARSE: 'true',
		AWS_SECRET_ACCESS_KEY: 'a',
	});
	expect(env).toMatchObject({
		PATH: '/bin',
		MY_PROFILE_VAR: 'v',
		DBT_PARTIAL_PARSE: 'true',
		DWH_DBT_HOST: 'wh',
		DWH_DBT_PORT: '5433',
		DWH_DBT_DATABASE: 'dw',
		DWH_DBT_USER: 'dwh_user',
		DBT_ENV_SECRET_DWH_PASSWORD: 's3cret',
		DWH_DBT_THREADS: '4',
		DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
	});
	expect(env).not.toHaveProperty('N8N_ENCRYPTION_KEY');
	expect(env).not.toHaveProperty('DB_POSTGRESDB_PASSWORD');
	expect(env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
});

test('a credential-sourced connection is required unless the profile reads the host environment', () => {
	expect(dbtCoreConfigSchema.safeParse({}).error?.issues[0]).toMatchObject({ path: ['warehouse'] });
	expect(dbtCoreConfigSchema.safeParse({ connectionSource: 'environment' }).success).toBe(true);
});

test('exit codes 0/1/2 map to success / handled failure / crash; signals are crashes', () => {
	expect([0, 1, 2, null, 137].map(statusFromExitCode)).toEqual(['success', 'failed', 'error', 'error', 'error']);
});
