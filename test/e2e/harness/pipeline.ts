import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { objectStoreSchema, postgresConnectionSchema, type ObjectStoreConfig, type PostgresConnection } from '../../../src/config/connection.schema';
import type { SourceTableInput } from '../../../src/config/registry.schema';
import { migrateWarehouse } from '../../../src/control/migrate';
import { e2eState } from './e2eState';
import { calledWorkflowIds, importWorkflowFiles, newInstance, publishOn2x, readWorkflow, shippedWorkflowFiles } from './instance';
import { n8nCliOk, type N8nInstance } from './n8nProcess';
import type { N8nRuntime } from './runtimes';
import { registerTable } from '../../harness/registerTable';

/**
 * The credentials the shipped workflows reference, by NAME only (n8n resolves the ids at import). One name per
 * credential type: users create credentials with exactly these names before importing workflows/ (listed in
 * docs/n8n-runtime.md). The ids are the tests' own; a workflow file never carries one.
 */
export const CREDENTIALS = {
	warehouse: { id: 'dwhTestWarehouse', name: 'DataAcuity Warehouse', type: 'dataAcuityPostgres' },
	source: { id: 'dwhTestSourceRep', name: 'DataAcuity Source Replica', type: 'dataAcuityPostgresSource' },
	store: { id: 'dwhTestObjStore0', name: 'DataAcuity Object Store', type: 'dataAcuityObjectStore' },
	analytics: { id: 'dwhTestAnalytics', name: 'DataAcuity Analytics DB', type: 'dataAcuityPostgresAnalytics' },
	dbt: { id: 'dwhTestDbt000001', name: 'DataAcuity dbt', type: 'dataAcuityDbt' },
	anonymisation: { id: 'dwhTestAnonSecrt', name: 'DataAcuity Anonymisation Secrets', type: 'dataAcuityAnonymisationSecrets' },
	/** n8n's own Postgres credential, for stock Postgres nodes that read the observability views. */
	warehouseReadOnly: { id: 'dwhTestWhReadOnl', name: 'DataAcuity Warehouse (read-only)', type: 'postgres' },
	/** n8n's own notification credentials the alert and error workflows route to (issue 15). */
	alertsSlack: { id: 'dwhTestSlack0001', name: 'DataAcuity Alerts Slack', type: 'slackApi' },
	alertsSmtp: { id: 'dwhTestSmtp00001', name: 'DataAcuity Alerts SMTP', type: 'smtp' },
	pagerDuty: { id: 'dwhTestPagerDuty', name: 'DataAcuity PagerDuty', type: 'pagerDutyApi' },
} as const;

/** The alerts e-mail credential pointed at a loopback SMTP server (a test's own, or nothing listening). */
export function smtpCredential(port: number) {
	return { ...CREDENTIALS.alertsSmtp, data: { host: '127.0.0.1', port, secure: false, disableStartTls: true, user: '', password: '' } };
}

/**
 * The anonymisation-secrets credential (test values only), with the token vault in the e2e warehouse database; in
 * production the vault is its own database.
 */
export function anonymisationCredential(
	warehouse: PostgresConnection,
	secrets: { salts: Record<string, Record<string, string>>; hmacKey: string; vaultEncryptionKey: string },
) {
	return {
		id: CREDENTIALS.anonymisation.id,
		name: CREDENTIALS.anonymisation.name,
		type: CREDENTIALS.anonymisation.type,
		data: {
			salts: JSON.stringify(secrets.salts),
			hmacKey: secrets.hmacKey,
			vaultEncryptionKey: secrets.vaultEncryptionKey,
			vaultHost: warehouse.host,
			vaultPort: warehouse.port,
			vaultDatabase: warehouse.database,
			vaultUser: warehouse.user,
			vaultPassword: warehouse.password,
			vaultSslMode: 'disable',
		},
	};
}

/** One isolated warehouse + source database + bucket on the e2e dev stack, and the n8n credentials pointing at them. */
export interface E2ePipeline {
	source: PostgresConnection;
	warehouse: PostgresConnection;
	/** analytics_db (the DataAcuity Analytics DB credential points here). */
	analytics: PostgresConnection;
	store: ObjectStoreConfig;
	src: pg.Pool;
	wh: pg.Pool;
	s3: S3Client;
	register(entry: Omit<SourceTableInput, 'source_db'>): Promise<string>;
	/** Object keys under the bucket (optionally below a prefix). */
	listKeys(prefix?: string): Promise<string[]>;
	/** Writes the n8n credentials JSON (decrypted data; n8n encrypts it on import) and returns its path. */
	writeCredentialsFile(dir: string): string;
	/**
	 * Imports the harness's credentials, then a test's own `over` them (same ids replace the harness's copies, so
	 * name-based resolution in the shipped workflows finds the test's).
	 */
	importCredentials(inst: N8nInstance, over?: object[]): Promise<void>;
	close(): Promise<void>;
}

function adminClient(database = 'postgres'): pg.Client {
	const p = e2eState().stack.postgres;
	return new pg.Client({ host: p.host, port: p.port, user: p.user, password: p.password, database });
}

async function createDatabase(prefix: string): Promise<string> {
	const db = `${prefix}_${randomBytes(3).toString('hex')}`;
	const admin = adminClient();
	await admin.connect();
	try {
		await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(db)}`);
	} finally {
		await admin.end();
	}
	return db;
}

export async function createN8nDatabase(prefix: string): Promise<{ host: string; port: number; user: string; password: string; database: string }> {
	const p = e2eState().stack.postgres;
	return { host: p.host, port: p.port, user: p.user, password: p.password, database: await createDatabase(prefix) };
}

export async function createPipeline(name: string): Promise<E2ePipeline> {
	const st = e2eState().stack;
	const conn = (database: string, applicationName: string) =>
		postgresConnectionSchema.parse({
			host: st.postgres.host,
			port: st.postgres.port,
			user: st.postgres.user,
			password: st.postgres.password,
			database,
			applicationName,
		});
	const source = conn(await createDatabase(`${name}_src`), 'dwh-e2e-source');
	const warehouse = conn(await createDatabase(`${name}_wh`), 'dwh-e2e-warehouse');
	const analytics = conn(await createDatabase(`${name}_an`), 'dwh-e2e-analytics');
	const bucket = `${name.replace(/_/g, '-')}-${randomBytes(3).toString('hex')}`;
	const s3 = new S3Client({
		endpoint: st.s3.endpoint,
		region: st.s3.region,
		forcePathStyle: true,
		credentials: { accessKeyId: st.s3.accessKeyId, secretAccessKey: st.s3.secretAccessKey },
	});
	await s3.send(new CreateBucketCommand({ Bucket: bucket }));
	const store = objectStoreSchema.parse({
		endpoint: st.s3.endpoint,
		region: st.s3.region,
		accessKeyId: st.s3.accessKeyId,
		secretAccessKey: st.s3.secretAccessKey,
		bucket,
		prefix: 'dataacuity',
		forcePathStyle: true,
	});
	// An idle client whose server goes away (the dev stack stopping at teardown after an afterAll that timed out on a
	// busy machine) emits 'error'; without a listener that crashes the whole jest process after every test passed.
	const pool = (c: PostgresConnection, max: number) => {
		const p = new pg.Pool({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, max });
		p.on('error', () => undefined);
		return p;
	};
	const wh = pool(warehouse, 3);
	const src = pool(source, 4);
	await migrateWarehouse(wh);
	const pipeline: E2ePipeline = {
		source,
		warehouse,
		analytics,
		store,
		src,
		wh,
		s3,
		register: (entry) => registerTable(wh, source.database, entry),
		async listKeys(prefix = '') {
			const keys: string[] = [];
			let token: string | undefined;
			do {
				const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
				for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
				token = page.IsTruncated ? page.NextContinuationToken : undefined;
			} while (token);
			return keys.sort();
		},
		writeCredentialsFile(dir) {
			const pgData = (c: PostgresConnection) => ({
				host: c.host,
				port: c.port,
				database: c.database,
				user: c.user,
				password: c.password,
				sslMode: 'disable',
				maxConnections: 4,
				statementTimeoutMs: 0,
				applicationName: c.applicationName,
			});
			const c = CREDENTIALS;
			const creds = [
				{ ...c.warehouse, data: pgData(warehouse) },
				{ ...c.source, data: pgData(source) },
				{ ...c.analytics, data: pgData(analytics) },
				{
					...c.store,
					data: {
						endpoint: store.endpoint,
						region: store.region,
						accessKeyId: store.accessKeyId,
						secretAccessKey: store.secretAccessKey,
						bucket: store.bucket,
						prefix: store.prefix,
						forcePathStyle: true,
						checksumMode: 'when_required',
					},
				},
				// Fields left out take the credential type's defaults (n8n applies them when a node reads the credential).
				{ ...c.dbt, data: {} },
				// Placeholder secrets so workflows resolve; tests that anonymise import their own over it.
				anonymisationCredential(warehouse, {
					salts: { default: { '1': randomBytes(16).toString('hex') } },
					hmacKey: randomBytes(32).toString('hex'),
					vaultEncryptionKey: randomBytes(32).toString('hex'),
				}),
				{
					...c.warehouseReadOnly,
					data: {
						host: warehouse.host,
						port: warehouse.port,
						database: warehouse.database,
						user: warehouse.user,
						password: warehouse.password,
						ssl: 'disable',
					},
				},
				// Notification channels: placeholders that reach nothing (no workflow sends in these tests unless it
				// imports its own, as pipelineAlerts.test.ts does with a loopback SMTP server).
				{ ...c.alertsSlack, data: { accessToken: 'xoxb-e2e-placeholder' } },
				{ ...c.pagerDuty, data: { apiToken: 'e2e-placeholder' } },
				smtpCredential(9),
			];
			mkdirSync(dir, { recursive: true });
			const file = path.join(dir, `credentials-${randomBytes(4).toString('hex')}.json`);
			// Test values only, generated per run into the scratch dir: nothing secret is ever committed.
			writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
			return file;
		},
		async importCredentials(inst, over = []) {
			await n8nCliOk(inst, ['import:credentials', `--input=${pipeline.writeCredentialsFile(path.join(inst.userFolder, 'import'))}`]);
			if (!over.length) return;
			const file = path.join(inst.userFolder, 'import', `test-credentials-${randomBytes(4).toString('hex')}.json`);
			// Test values only, generated per run into the scratch dir.
			writeFileSync(file, JSON.stringify(over), { mode: 0o600 });
			await n8nCliOk(inst, ['import:credentials', `--input=${file}`]);
		},
		async close() {
			await Promise.all([wh.end(), src.end()]);
			s3.destroy();
		},
	};
	return pipeline;
}

/** A test file's n8n instance and pipeline, set by the beforeAll `pipelineSuite` registers. */
export interface PipelineSuite {
	/** The runtime this body runs on (the files run one body per runtime with `describe.each(RUNTIME_KEYS)`). */
	key: N8nRuntime['key'];
	inst: N8nInstance;
	p: E2ePipeline;
	/**
	 * The harness's credentials and the test's own `credentials` over them, then the workflows/ files named (every one
	 * when none is); on 2.x the imported sub-workflows the imported files call are published and applied (publishOn2x).
	 */
	importShipped(workflows: string[], credentials?: object[]): Promise<void>;
}

/**
 * Registers, inside a `describe.each(RUNTIME_KEYS)` body, its first beforeAll and its afterAll for one n8n instance
 * of runtime `key` (it must be installed) and one pipeline: before the body's own beforeAll seeds and imports, a
 * fresh instance named `name-key` and a pipeline with databases and bucket named after `db_key` (so the runtimes'
 * runs never share a database or a bucket); after all tests, `close` (the body's own servers) and then the pipeline.
 */
export function pipelineSuite(key: N8nRuntime['key'], name: string, db: string, opts: { close?: () => Promise<unknown> } = {}): PipelineSuite {
	const suite = {
		key,
		async importShipped(workflows, credentials = []) {
			await suite.p.importCredentials(suite.inst, credentials);
			const files = shippedWorkflowFiles(...workflows);
			await importWorkflowFiles(suite.inst, files);
			const imported = files.map(readWorkflow);
			const ids = new Set(imported.map((w) => w.id));
			await publishOn2x(
				suite.inst,
				calledWorkflowIds(imported).filter((id) => ids.has(id)),
				{ apply: true },
			);
		},
	} as PipelineSuite;
	beforeAll(async () => {
		const inst = newInstance(key, `${name}-${key}`);
		if (!inst) throw new Error(`${key} is not installed (run test/e2e/install-n8n.sh)`);
		suite.inst = inst;
		suite.p = await createPipeline(`${db}_${key}`);
	}, 5 * 60_000);
	afterAll(async () => {
		await opts.close?.();
		await suite.p?.close();
	}, 60_000);
	return suite;
}
