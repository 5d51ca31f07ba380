/**
 * `npm run demo [-- --s3 minio|s3rver] [--rows N] [--seed N] [--keep]`
 *
 * Everything a first-time user needs to see the pipeline work, with nothing installed but `npm install`: an embedded
 * PostgreSQL 17 cluster and an S3 server (s3rver by default, MinIO with --s3 minio) on 127.0.0.1, synthetic South
 * African source databases, a migrated warehouse with the registry synced, then every scripts/demo/steps/NN-*.ts in
 * order. Any failure exits non-zero; the servers are always stopped (with --keep, only after Ctrl-C).
 */
import { fakerEN_ZA } from '@faker-js/faker';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { anonymisationSecretsSchema } from '../src/anonymise/secrets.schema';
import { objectStoreSchema, postgresConnectionSchema, type PostgresConnection } from '../src/config/connection.schema';
import type { S3ServerKind } from '../src/devstack/s3Server';
import { startDevStack, type DevStack } from '../src/devstack/stack';
import type { DemoContext } from './demo/context';
import { formatTable, heading } from './demo/print';
import { migrateDemoWarehouse, syncDemoRegistry } from './demo/warehouseSetup';
import { SYNTHETIC_SOURCES } from './demo/synthetic';
import { createBucket, createDatabases, waitForClientsToLeave } from './devstackSetup';

const DATABASES = ['data_warehouse', 'analytics_db', 'compliance_db'];
const BUCKET = 'dataacuity-demo';

interface DemoOptions {
	s3: S3ServerKind;
	rows: number;
	seed: number;
	keep: boolean;
}

function parseOptions(argv: string[]): DemoOptions {
	const { values } = parseArgs({
		args: argv,
		options: {
			s3: { type: 'string', default: 's3rver' },
			rows: { type: 'string', default: '5000' },
			seed: { type: 'string', default: '20261125' },
			keep: { type: 'boolean', default: false },
			help: { type: 'boolean', short: 'h', default: false },
		},
		strict: true,
	});
	if (values.help) {
		console.log('usage: npm run demo -- [--s3 s3rver|minio] [--rows N] [--seed N] [--keep]');
		process.exit(0);
	}
	if (values.s3 !== 's3rver' && values.s3 !== 'minio') throw new Error(`--s3 must be s3rver or minio (got "${values.s3}")`);
	const rows = Number(values.rows);
	if (!Number.isInteger(rows) || rows < 100 || rows > 5_000_000) throw new Error(`--rows must be a whole number from 100 to 5000000 (got "${values.rows}")`);
	const seed = Number(values.seed);
	if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number (got "${values.seed}")`);
	return { s3: values.s3, rows, seed, keep: values.keep };
}

function connection(stack: DevStack, database: string): PostgresConnection {
	const p = stack.postgres;
	return postgresConnectionSchema.parse({ host: p.host, port: p.port, user: p.user, password: p.password, database, applicationName: 'dwh-demo' });
}

/** scripts/demo/steps/NN-<area>.ts in file-name order. */
function stepFiles(): string[] {
	const dir = path.join(__dirname, 'demo', 'steps');
	return readdirSync(dir)
		.filter((f) => /^\d{2}-[a-z0-9-]+\.ts$/.test(f))
		.sort()
		.map((f) => path.join(dir, f));
}

async function runStep(file: string, demo: DemoContext): Promise<void> {
	const mod = (await import(file)) as { default?: unknown };
	// tsx may hand a CommonJS-compiled module back with its default export one level down.
	const fn = typeof mod.default === 'function' ? mod.default : (mod.default as { default?: unknown } | undefined)?.default;
	if (typeof fn !== 'function') throw new Error(`${path.basename(file)} has no default-exported async (demo) => void`);
	await (fn as (d: DemoContext) => Promise<void>)(demo);
}

/** Random salts and keys for this run only (in n8n they live in the DataAcuity Anonymisation Secrets credential). */
function demoSecrets() {
	const secret = () => randomBytes(32).toString('hex');
	const salt = () => ({ '1': secret() });
	return anonymisationSecretsSchema.parse({
		salts: { users: salt(), emails: salt(), phones: salt(), devices: salt(), accounts: salt(), conversations: salt() },
		hmacKey: secret(),
		vaultEncryptionKey: secret(),
	});
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function waitForInterrupt(): Promise<void> {
	await new Promise<void>((resolve) => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
	});
}

async function main(): Promise<number> {
	const opts = parseOptions(process.argv.slice(2));
	const started = Date.now();
	const section = (title: string) => console.log(heading(title));
	section(`Starting embedded PostgreSQL 17 and ${opts.s3} on 127.0.0.1`);
	const stack = await startDevStack({ s3: opts.s3 });
	let stopping: Promise<void> | null = null;
	const stop = () =>
		(stopping ??= waitForClientsToLeave(stack.postgres, 5000)
			.then(() => stack.stop())
			.catch((err) => console.error(`stopping the servers failed: ${(err as Error).message}`)));
	// Ctrl-C mid-run: stop the servers before exiting so no postgres or S3 process outlives the demo.
	const onSignal = () => {
		console.error('\ninterrupted: stopping servers');
		void stop().then(() => process.exit(130));
	};
	if (!opts.keep) {
		process.once('SIGINT', onSignal);
		process.once('SIGTERM', onSignal);
	}
	let failed = false;
	try {
		console.log(`  postgres  ${stack.postgres.host}:${stack.postgres.port}  (binaries: ${stack.postgres.binDir})`);
		console.log(`  ${stack.s3.kind.padEnd(8)}  ${stack.s3.endpoint}  (${seconds(started)})`);

		const sourceDbs = SYNTHETIC_SOURCES.map((s) => s.db);
		await createDatabases(stack.postgres, [...DATABASES, ...sourceDbs]);
		await createBucket(stack, BUCKET);

		section(`Synthetic South African source databases (--rows ${opts.rows}, --seed ${opts.seed})`);
		fakerEN_ZA.seed(opts.seed);
		const seeded: Record<string, unknown>[] = [];
		for (const src of SYNTHETIC_SOURCES) {
			const t0 = Date.now();
			const pool = new pg.Pool({ ...connection(stack, src.db), max: 2 });
			try {
				const counts = await src.seed(pool, fakerEN_ZA, opts.rows);
				for (const [table, rows] of Object.entries(counts)) seeded.push({ database: src.db, table, rows, time: seconds(t0) });
			} finally {
				await pool.end();
			}
		}
		console.log(formatTable(seeded));

		section('Warehouse: migrate and sync the source registry');
		const warehouse = connection(stack, 'data_warehouse');
		const wh = new pg.Pool({ ...warehouse, max: 2 });
		try {
			for (const line of await migrateDemoWarehouse(wh)) console.log(`  ${line}`);
			for (const line of await syncDemoRegistry(wh, sourceDbs)) console.log(`  ${line}`);
		} finally {
			await wh.end();
		}

		const demo: DemoContext = {
			stack,
			warehouse,
			source: (db) => connection(stack, db),
			analytics: connection(stack, 'analytics_db'),
			compliance: connection(stack, 'compliance_db'),
			store: objectStoreSchema.parse({
				endpoint: stack.s3.endpoint,
				region: stack.s3.region,
				accessKeyId: stack.s3.accessKeyId,
				secretAccessKey: stack.s3.secretAccessKey,
				bucket: BUCKET,
				prefix: 'dataacuity',
				forcePathStyle: true,
			}),
			section,
			table: (rows) => console.log(formatTable(rows)),
			log: (message) => console.log(`  ${message}`),
			rows: opts.rows,
			faker: fakerEN_ZA,
			sourceDbs,
			secrets: demoSecrets(),
		};

		const timings: Record<string, unknown>[] = [];
		for (const file of stepFiles()) {
			const name = path.basename(file, '.ts');
			const t0 = Date.now();
			try {
				await runStep(file, demo);
				timings.push({ step: name, status: 'ok', time: seconds(t0) });
			} catch (err) {
				timings.push({ step: name, status: 'FAILED', time: seconds(t0) });
				throw new Error(`demo step ${name} failed: ${(err as Error).stack ?? String(err)}`);
			}
		}
		section(`Demo finished in ${seconds(started)}`);
		console.log(formatTable(timings));

		if (opts.keep) {
			section('Servers left running (--keep): press Ctrl-C to stop them');
			const p = stack.postgres;
			console.log(`  psql "postgresql://${p.user}:${p.password}@${p.host}:${p.port}/data_warehouse"`);
			console.log(`  databases: ${[...DATABASES, ...sourceDbs].join(', ')}`);
			console.log(
				`  S3 (${stack.s3.kind}): endpoint ${stack.s3.endpoint}, bucket ${BUCKET}, access key ${stack.s3.accessKeyId}, secret ${stack.s3.secretAccessKey}`,
			);
			console.log(`  data directory: ${stack.baseDir}`);
			await waitForInterrupt();
		}
	} catch (err) {
		failed = true;
		console.error(`\nDEMO FAILED: ${(err as Error).message}`);
	} finally {
		console.log('\nstopping servers');
		await stop();
	}
	return failed ? 1 : 0;
}

main().then(
	(code) => process.exit(code),
	(err) => {
		console.error(`DEMO FAILED: ${(err as Error).stack ?? String(err)}`);
		process.exit(1);
	},
);
