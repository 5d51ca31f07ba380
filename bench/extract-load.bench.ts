/**
 * `npm run bench` — one run reports, on the same servers (embedded PostgreSQL 17 + MinIO, or s3rver):
 *
 * 1. At each size in --rows (default 1M and 10M): the pipeline's extract+load of one N-row table, loaded while it is
 *    extracted (src/pipeline/extractAndLoad.ts: COPY out → upload to processed/ and COPY into the empty bronze table at
 *    once, COMMIT once the CSV is stored), against the psql COPY pipe with no file,
 *    `psql -c "COPY (SELECT …) TO STDOUT" | psql -c "COPY … FROM STDIN"`, into a table of bronze's exact shape,
 *    measured before and after the pipeline (the ratio uses their mean). Peak RSS of this process (sampled + VmHWM).
 * 2. What the move to processed/ costs, on the CSV of each size: the two-step path's server-side copy + delete
 *    (wall time and the S3 server's CPU), an object tag instead, and writing straight to the final key (nothing).
 * 3. A full round of many due tables (--round-tables × --round-rows), one at a time against 4 at a time.
 *
 * Targets: pipeline >= 0.9 × the pipe's rows/s, peak RSS <= 200 MB at every size. The load average is printed with
 * every figure: the machine this was written on is shared.
 *
 *   npm run bench                                   # 1M and 10M rows, round of 12 × 100k, MinIO when installed
 *   npm run bench -- --rows 1000000 --round-tables 0
 *   npm run bench -- --s3 s3rver --psql /usr/bin/psql --profile
 *   npm run bench -- --rows 1000000 --round-tables 0 --no-watermark-index   # the source table without its index on created_at
 */
import { PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { objectStoreSchema, type PostgresConnection } from '../src/config/connection.schema';
import { migrateWarehouse } from '../src/control/migrate';
import type { S3ServerKind } from '../src/devstack/s3Server';
import { startDevStack, type DevStack } from '../src/devstack/stack';
import { openPipelineContext } from '../src/pipeline/context';
import { extractAndLoadDueTables, extractAndLoadTable } from '../src/pipeline/extractAndLoad';
import { devConnection, createBucket, createDatabases, onServer } from '../scripts/devstackSetup';

const SOURCE_DB = 'bench_src';
const TABLE_NAME = 'transactions';
const TARGET_RSS_MB = 200;
const TARGET_RATIO = 0.9;
const BUCKET = 'dwh-bench';
const COLS = 'id, account_id, user_id, direction, amount_zar, category, merchant_name, reference, channel, payer_phone, note, created_at';

/** A ledger_db.transactions look-alike: SA phone numbers, ZAR amounts, merchants, quoting/newline edge cases. */
const SOURCE_DDL = `
CREATE TABLE transactions (
    id            bigint PRIMARY KEY,
    account_id    bigint NOT NULL,
    user_id       bigint NOT NULL,
    direction     text NOT NULL,
    amount_zar    numeric(18,2) NOT NULL,
    category      text NOT NULL,
    merchant_name text,
    reference     text NOT NULL,
    channel       text NOT NULL,
    payer_phone   text,
    note          text,
    created_at    timestamptz NOT NULL
)`;

const fillSql = (from: number, to: number, total: number) => `
INSERT INTO transactions
SELECT g,
       1 + (g * 7919) % 200000,
       1 + (g * 104729) % 250000,
       CASE WHEN g % 6 = 0 THEN 'credit' ELSE 'debit' END,
       round((5 + random() ^ 4 * 25000)::numeric, 2),
       (ARRAY['groceries','online_retail','food_delivery','restaurants','airtime_data','utilities','fuel','pharmacy','clothing','transport','salary','transfer_in'])[1 + g % 12],
       CASE WHEN g % 6 = 0 THEN NULL ELSE (ARRAY['Woolworths','Pick n Pay','Checkers Sixty60','Shoprite','SPAR','Takealot','Mr D Food','Nando''s','Vodacom','MTN','Eskom Prepaid','Engen','Clicks','Dis-Chem','Mr Price','Gautrain'])[1 + (g * 31) % 16] END,
       CASE WHEN g % 6 = 0 THEN 'CR' ELSE 'DB' END || upper(substr(md5(g::text), 1, 10)),
       (ARRAY['card','eft','instant_eft','qr','payshap','cash_send','debit_order'])[1 + (g * 13) % 7],
       '+27' || (ARRAY['60','61','71','72','73','76','79','82','83','84'])[1 + g % 10] || lpad(((g * 7907) % 10000000)::text, 7, '0'),
       CASE WHEN g % 50 = 0 THEN 'Braai at Thabo''s, "split 50/50"' WHEN g % 997 = 0 THEN E'Eish, load-shedding\\nagain' ELSE NULL END,
       now() - interval '1 minute' - (interval '90 days') * (1 - g::float8 / ${total})
  FROM generate_series(${from}::bigint, ${to}::bigint) g`;

interface Options {
	rows: number[];
	s3: S3ServerKind | 'auto';
	psql: string;
	roundTables: number;
	roundRows: number;
	/** Log every statement's duration on the servers and print the slow ones after the run. */
	profile: boolean;
	/** Leave created_at without an index (each extract then scans the table once more for rows without a watermark). */
	noWatermarkIndex: boolean;
}

function parseOptions(): Options {
	const { values } = parseArgs({
		options: {
			rows: { type: 'string', default: '1000000,10000000' },
			s3: { type: 'string', default: 'auto' },
			psql: { type: 'string', default: process.env.DWH_PSQL ?? '' },
			'round-tables': { type: 'string', default: '12' },
			'round-rows': { type: 'string', default: '100000' },
			profile: { type: 'boolean', default: false },
			'no-watermark-index': { type: 'boolean', default: false },
		},
	});
	const rows = String(values.rows).split(',').map(Number);
	if (rows.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error(`--rows must be whole numbers >= 1000, comma-separated (got "${values.rows}")`);
	if (!['auto', 'minio', 's3rver'].includes(values.s3!)) throw new Error(`--s3 must be auto, minio or s3rver (got "${values.s3}")`);
	const roundTables = Number(values['round-tables']);
	const roundRows = Number(values['round-rows']);
	if (!Number.isInteger(roundTables) || roundTables < 0) throw new Error('--round-tables must be a whole number (0 skips the round)');
	if (!Number.isInteger(roundRows) || roundRows < 1) throw new Error('--round-rows must be a whole number >= 1');
	return {
		rows,
		s3: values.s3 as Options['s3'],
		psql: values.psql || findPsql(),
		roundTables,
		roundRows,
		profile: values.profile ?? false,
		noWatermarkIndex: values['no-watermark-index'] ?? false,
	};
}

function findPsql(): string {
	for (const c of ['/usr/bin/psql', '/usr/local/bin/psql']) if (existsSync(c)) return c;
	try {
		return execFileSync('which', ['psql']).toString().trim();
	} catch {
		throw new Error(
			'The baseline needs the psql client: `apt-get install postgresql-client` (Debian/Ubuntu), `brew install libpq` (macOS), or pass --psql /path/to/psql',
		);
	}
}

/** Peak resident memory of this process as the kernel counts it; reset with clear_refs so earlier phases don't count. */
function vmHwmMb(): number | null {
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		return m ? Number(m[1]) / 1024 : null;
	} catch {
		return null;
	}
}

function resetVmHwm(): boolean {
	try {
		writeFileSync('/proc/self/clear_refs', '5');
		return true;
	} catch {
		return false;
	}
}

const mb = (n: number) => Number((n / 1024 / 1024).toFixed(1));

/** Samples process.memoryUsage() and keeps the sample with the highest RSS, so the peak can be explained. */
class RssSampler {
	atPeak: NodeJS.MemoryUsage = process.memoryUsage();
	private timer: NodeJS.Timeout | null = null;
	private sample(): void {
		const m = process.memoryUsage();
		if (m.rss > this.atPeak.rss) this.atPeak = m;
	}
	start(everyMs = 20): void {
		this.atPeak = process.memoryUsage();
		this.timer = setInterval(() => this.sample(), everyMs);
	}
	/** Peak RSS in MB since start(); keeps sampling. */
	peak(): number {
		this.sample();
		return this.atPeak.rss / 1024 / 1024;
	}
	stop(): number {
		if (this.timer) clearInterval(this.timer);
		return this.peak();
	}
	/** Where the peak sat: V8 heap vs Buffers (arrayBuffers, outside the heap). */
	breakdown(): Record<string, number> {
		const m = this.atPeak;
		return { rssMB: mb(m.rss), heapTotalMB: mb(m.heapTotal), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) };
	}
}

const conn = (stack: DevStack, database: string): PostgresConnection => devConnection(stack.postgres, database, 'dwh-bench');

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const fmt = (n: number, d = 1) => n.toFixed(d);
const grouped = (n: number) =>
	Math.round(n)
		.toString()
		.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Statements over `minMs` from the server log (written because --profile set log_min_duration_statement). */
function printSlowStatements(stack: DevStack, minMs: number): void {
	const log = readFileSync(path.join(stack.baseDir, 'pg', 'postgres.log'), 'utf8');
	console.log(`statements slower than ${minMs} ms:`);
	for (const m of log.matchAll(/duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): ([^\n]*)/g)) {
		if (Number(m[1]) >= minMs) console.log(`  ${Number(m[1]).toFixed(0).padStart(7)} ms  ${m[2].slice(0, 150)}`);
	}
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

/** User + system CPU seconds of a process so far (the S3 server's, for the cost of a server-side copy). */
function cpuSeconds(pid: number | undefined): number | null {
	if (!pid) return null;
	try {
		// utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return (Number(fields[11]) + Number(fields[12])) / 100;
	} catch {
		return null;
	}
}

function psqlArgs(c: PostgresConnection, command: string): string[] {
	return ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', c.host, '-p', String(c.port), '-U', c.user, '-d', c.database, '-c', command];
}

/** `psql -c "COPY … TO STDOUT" | psql -c "COPY … FROM STDIN"`: two processes, one pipe, no file. */
function psqlPipe(psql: string, from: PostgresConnection, to: PostgresConnection, select: string, target: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const out = spawn(psql, psqlArgs(from, `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true)`), {
			env: { ...process.env, PGPASSWORD: from.password },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const into = spawn(psql, psqlArgs(to, `COPY ${target} FROM STDIN WITH (FORMAT csv, HEADER true)`), {
			env: { ...process.env, PGPASSWORD: to.password },
			stdio: ['pipe', 'ignore', 'pipe'],
		});
		out.stdout.pipe(into.stdin);
		let err = '';
		out.stderr.on('data', (d: Buffer) => (err += d.toString()));
		into.stderr.on('data', (d: Buffer) => (err += d.toString()));
		let exits = 0;
		const exited = (code: number | null) => {
			if (code !== 0) reject(new Error(`psql pipe failed (${code}): ${err.trim()}`));
			else if (++exits === 2) resolve();
		};
		out.on('exit', exited);
		into.on('exit', exited);
		out.on('error', reject);
		into.on('error', reject);
	});
}

async function measurePipe(opts: Options, source: PostgresConnection, whConn: PostgresConnection, wh: pg.Pool, label: string): Promise<number> {
	// Bronze's exact shape: the source's columns and primary key plus the two bookkeeping columns every bronze table
	// carries, filled by defaults as the pipeline's back-fill fills them (a constant run id: the cheapest default).
	await wh.query(
		SOURCE_DDL.replace('CREATE TABLE transactions', 'CREATE TABLE public.baseline_bronze_shape').replace(
			/\n\)$/,
			`,\n    _dwh_run_id bigint NOT NULL DEFAULT 0,\n    _dwh_loaded_at timestamptz NOT NULL DEFAULT now()\n)`,
		),
	);
	const load = loadAverage();
	const t0 = process.hrtime.bigint();
	await psqlPipe(opts.psql, source, whConn, `SELECT ${COLS} FROM public.${TABLE_NAME}`, `public.baseline_bronze_shape (${COLS})`);
	const s = secs(t0);
	await wh.query('DROP TABLE public.baseline_bronze_shape');
	console.log(`  psql COPY pipe (${label}): ${fmt(s, 2)} s, load average ${load.join(' ')}`);
	return s;
}

function storeConfig(stack: DevStack, prefix: string) {
	return objectStoreSchema.parse({
		endpoint: stack.s3.endpoint,
		region: stack.s3.region,
		accessKeyId: stack.s3.accessKeyId,
		secretAccessKey: stack.s3.secretAccessKey,
		bucket: BUCKET,
		prefix,
	});
}

async function freshWarehouse(stack: DevStack, db: string): Promise<{ conn: PostgresConnection; pool: pg.Pool }> {
	await onServer(stack.postgres, async (admin) => {
		await admin.query(`DROP DATABASE IF EXISTS ${db}`);
		await admin.query(`CREATE DATABASE ${db}`);
	});
	const c = conn(stack, db);
	const pool = new pg.Pool({ ...c, max: 2 });
	await migrateWarehouse(pool);
	return { conn: c, pool };
}

async function register(wh: pg.Pool, table: string, sourceTable: string): Promise<void> {
	await wh.query(
		`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
		 VALUES ($1, $2, $3, 'incremental', 'append', 'created_at', '{id}', '5 minutes')`,
		[table, SOURCE_DB, sourceTable],
	);
	await wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1) ON CONFLICT DO NOTHING`, [table]);
}

async function buildSource(src: pg.Pool, name: string, rows: number, watermarkIndex: boolean): Promise<void> {
	await src.query(`DROP TABLE IF EXISTS ${name}`);
	await src.query(SOURCE_DDL.replace('CREATE TABLE transactions', `CREATE TABLE ${name}`));
	const chunk = 500_000;
	for (let from = 1; from <= rows; from += chunk)
		await src.query(fillSql(from, Math.min(rows, from + chunk - 1), rows).replace('INSERT INTO transactions', `INSERT INTO ${name}`));
	// An app table extracted incrementally has an index on its watermark column, or every 5-minute window reads the
	// whole table. The back-fill measured here scans the table either way; the index makes the extract's check for rows
	// without a watermark (NULL or 'infinity') one probe instead of a second scan. The pipe reads no window.
	if (watermarkIndex) await src.query(`CREATE INDEX ON ${name} (created_at)`);
	await src.query(`VACUUM (ANALYZE) ${name}`); // hint bits set now, so neither contender pays for them
}

interface SizeResult {
	rows: number;
	csvMB: number;
	pipeS: number;
	pipelineS: number;
	cpuS: { node: number; s3Server: number | null };
	ratio: number;
	peakRssMB: number;
	rssBeforeMB: number;
	loadAverage: { before: number[]; after: number[] };
	processedKey: string;
	bytes: number;
}

async function measureSize(opts: Options, stack: DevStack, src: pg.Pool, rows: number): Promise<SizeResult> {
	let t0 = process.hrtime.bigint();
	await buildSource(src, TABLE_NAME, rows, !opts.noWatermarkIndex);
	console.log(`\n${grouped(rows)} rows: source table built in ${fmt(secs(t0))} s`);
	const source = conn(stack, SOURCE_DB);
	const wh = await freshWarehouse(stack, `bench_wh_${rows}`);
	const table = `${SOURCE_DB}__${TABLE_NAME}_${rows}`;
	await register(wh.pool, table, TABLE_NAME);
	if (opts.profile) await wh.pool.query(`ALTER DATABASE bench_wh_${rows} SET log_min_duration_statement = 0`);

	const pipeBefore = await measurePipe(opts, source, wh.conn, wh.pool, 'before');
	const ctx = openPipelineContext({
		source,
		warehouse: wh.conn,
		store: storeConfig(stack, `bench${rows}`),
		exportTimezone: 'Africa/Johannesburg',
		executionId: 'bench',
	});
	global.gc?.();
	const hwmReset = resetVmHwm();
	const rssBefore = process.memoryUsage().rss / 1024 / 1024;
	const sampler = new RssSampler();
	sampler.start();
	const loadBefore = loadAverage();
	const cpu0 = process.cpuUsage();
	const s3Cpu0 = cpuSeconds(stack.s3.pid);
	t0 = process.hrtime.bigint();
	const r = await extractAndLoadTable(ctx, table);
	const pipelineS = secs(t0);
	const cpu = process.cpuUsage(cpu0);
	const s3Cpu1 = cpuSeconds(stack.s3.pid);
	const cpuS = { node: (cpu.user + cpu.system) / 1e6, s3Server: s3Cpu0 !== null && s3Cpu1 !== null ? s3Cpu1 - s3Cpu0 : null };
	const loadAfter = loadAverage();
	const peakSampled = sampler.stop();
	const hwm = vmHwmMb();
	await ctx.close();
	ctx.store.client.destroy();
	if (r.status !== 'loaded' || !r.load) throw new Error(`pipeline ${r.status}: ${r.message}`);
	const bronzeRows = Number((await wh.pool.query<{ n: string }>(`SELECT count(*) AS n FROM raw.${table}`)).rows[0].n);
	if (r.rows !== rows || r.load.rowsInserted !== rows || bronzeRows !== rows) {
		throw new Error(`row counts differ: source ${rows}, extracted ${r.rows}, inserted ${r.load.rowsInserted}, bronze ${bronzeRows}`);
	}
	const peak = Math.max(peakSampled, hwmReset && hwm !== null ? hwm : 0);
	console.log(
		`  pipeline (load while extracting): ${fmt(pipelineS, 2)} s, CPU: this process ${fmt(cpuS.node, 2)} s, S3 server ${
			cpuS.s3Server === null ? 'n/a' : fmt(cpuS.s3Server, 2)
		} s; peak RSS ${fmt(peak, 0)} MB (before ${fmt(rssBefore, 0)} MB; at the peak ${JSON.stringify(sampler.breakdown())}), load average ${loadBefore.join(
			' ',
		)} → ${loadAfter.join(' ')}`,
	);
	const pipeAfter = await measurePipe(opts, source, wh.conn, wh.pool, 'after');
	if (opts.profile) printSlowStatements(stack, 100);
	await wh.pool.end();
	const pipeS = (pipeBefore + pipeAfter) / 2;
	const ratio = pipeS / pipelineS;
	console.log(`  => ${(ratio * 100).toFixed(0)}% of the pipe's rows/s (pipe ${grouped(rows / pipeS)} rows/s, pipeline ${grouped(rows / pipelineS)} rows/s)`);
	return {
		rows,
		csvMB: Number((r.bytes / 1024 / 1024).toFixed(1)),
		pipeS,
		pipelineS,
		cpuS,
		ratio,
		peakRssMB: peak,
		rssBeforeMB: rssBefore,
		loadAverage: { before: loadBefore, after: loadAfter },
		processedKey: r.csvPath!.replace(`s3://${BUCKET}/`, ''),
		bytes: r.bytes,
	};
}

/** Item 3: what the two-step path's move costs, against the alternatives, on one loaded CSV. */
async function measureMove(stack: DevStack, key: string, bytes: number) {
	const ctx = openPipelineContext({ source: conn(stack, SOURCE_DB), warehouse: conn(stack, SOURCE_DB), store: storeConfig(stack, 'move') });
	try {
		const copyKey = key.replace('/processed/', '/processed-copy-bench/');
		const cpu0 = cpuSeconds(stack.s3.pid);
		const load = loadAverage();
		let t0 = process.hrtime.bigint();
		await ctx.store.move(key, copyKey, bytes); // CopyObject + HeadObject + DeleteObject, as moveLoadedCsv does
		const moveS = secs(t0);
		const cpu1 = cpuSeconds(stack.s3.pid);
		t0 = process.hrtime.bigint();
		await ctx.store.client.send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: copyKey, Tagging: { TagSet: [{ Key: 'dwh-state', Value: 'processed' }] } }));
		const tagS = secs(t0);
		const cpu2 = cpuSeconds(stack.s3.pid);
		await ctx.store.move(copyKey, key, bytes);
		const result = {
			csvMB: Number((bytes / 1024 / 1024).toFixed(1)),
			copyAndDelete: { wallS: moveS, s3ServerCpuS: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null },
			tag: { wallS: tagS, s3ServerCpuS: cpu1 !== null && cpu2 !== null ? cpu2 - cpu1 : null },
			writeStraightToFinalKey: { wallS: 0, s3ServerCpuS: 0 },
			loadAverage: load,
		};
		console.log(
			`\nmove to processed/ of a ${result.csvMB} MB CSV: copy + delete ${fmt(moveS, 2)} s (S3 server CPU ${
				result.copyAndDelete.s3ServerCpuS === null ? 'n/a' : fmt(result.copyAndDelete.s3ServerCpuS, 2) + ' s'
			}); ` + `tag instead ${fmt(tagS * 1000, 0)} ms; written straight to processed/: nothing (load average ${load.join(' ')})`,
		);
		return result;
	} finally {
		await ctx.close();
		ctx.store.client.destroy();
	}
}

/** Item 4: a full round of `tables` due tables, one at a time against 4 at a time, each into a fresh warehouse. */
async function measureRound(opts: Options, stack: DevStack, src: pg.Pool) {
	const names = Array.from({ length: opts.roundTables }, (_, i) => `round_${i + 1}`);
	const t0 = process.hrtime.bigint();
	for (const n of names) await buildSource(src, n, opts.roundRows, !opts.noWatermarkIndex);
	console.log(`\nround: ${names.length} tables × ${grouped(opts.roundRows)} rows built in ${fmt(secs(t0))} s`);
	const runs: Array<{ parallel: number; seconds: number; peakRssMB: number; loadAverage: number[] }> = [];
	// Sequential, parallel, parallel, sequential: the machine's load drifts, so each gets an early and a late slot.
	for (const [i, parallel] of [1, 4, 4, 1].entries()) {
		const wh = await freshWarehouse(stack, `bench_round_${i}`);
		for (const n of names) await register(wh.pool, `${SOURCE_DB}__${n}`, n);
		const ctx = openPipelineContext({
			source: { ...conn(stack, SOURCE_DB), maxConnections: 4 },
			warehouse: { ...wh.conn, maxConnections: 4 },
			store: storeConfig(stack, `round${i}`),
		});
		global.gc?.();
		resetVmHwm();
		const sampler = new RssSampler();
		sampler.start();
		const load = loadAverage();
		const t1 = process.hrtime.bigint();
		const results = await extractAndLoadDueTables(ctx, { parallelTables: parallel });
		const seconds = secs(t1);
		const peak = Math.max(sampler.stop(), vmHwmMb() ?? 0);
		await ctx.close();
		ctx.store.client.destroy();
		const bad = results.filter((r) => r.status !== 'loaded' || r.load?.rowsInserted !== opts.roundRows);
		if (results.length !== names.length || bad.length)
			throw new Error(`round with ${parallel} at a time: ${bad.map((r) => `${r.table} ${r.status} ${r.message}`).join('; ')}`);
		await wh.pool.end();
		runs.push({ parallel, seconds, peakRssMB: peak, loadAverage: load });
		console.log(
			`  ${parallel} at a time: ${fmt(seconds, 2)} s (${grouped((names.length * opts.roundRows) / seconds)} rows/s), peak RSS ${fmt(
				peak,
				0,
			)} MB, load average ${load.join(' ')}`,
		);
	}
	const mean = (p: number) => runs.filter((r) => r.parallel === p).reduce((a, r) => a + r.seconds, 0) / 2;
	const speedup = mean(1) / mean(4);
	console.log(`  => 4 at a time: ${fmt(speedup, 2)}× the speed of one at a time (means of two runs each)`);
	return { tables: names.length, rowsPerTable: opts.roundRows, runs, sequentialS: mean(1), parallelS: mean(4), speedup };
}

async function main(): Promise<void> {
	const opts = parseOptions();
	const psqlVersion = execFileSync(opts.psql, ['--version']).toString().trim();
	const started = new Date();
	console.log(`bench: ${opts.rows.map(grouped).join(' and ')} rows, S3 ${opts.s3}, ${psqlVersion}, load average ${loadAverage().join(' ')}`);
	const stack = await startDevStack({ s3: opts.s3 });
	try {
		const serverVersion = await createDatabases(stack.postgres, [SOURCE_DB]);
		if (opts.profile) await onServer(stack.postgres, (admin) => admin.query(`ALTER DATABASE ${SOURCE_DB} SET log_min_duration_statement = 0`));
		await createBucket(stack, BUCKET);
		const src = new pg.Pool({ ...conn(stack, SOURCE_DB), max: 1 });

		const sizes: SizeResult[] = [];
		const move: Array<Awaited<ReturnType<typeof measureMove>>> = [];
		for (const rows of opts.rows) {
			const size = await measureSize(opts, stack, src, rows);
			sizes.push(size);
			move.push(await measureMove(stack, size.processedKey, size.bytes));
		}
		await src.query(`DROP TABLE IF EXISTS ${TABLE_NAME}`);
		const round = opts.roundTables > 0 ? await measureRound(opts, stack, src) : null;
		await src.end();

		const pass = sizes.every((s) => s.ratio >= TARGET_RATIO && s.peakRssMB <= TARGET_RSS_MB);
		const result = {
			date: started.toISOString(),
			s3: stack.s3.kind,
			sourceWatermarkIndex: !opts.noWatermarkIndex,
			sizes,
			move,
			round,
			machine: {
				cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
				memoryGB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
				node: process.version,
				postgres: serverVersion,
				psql: psqlVersion,
			},
			targets: { ratio: TARGET_RATIO, peakRssMB: TARGET_RSS_MB, met: pass },
		};
		console.log('\nresult (JSON):');
		console.log(JSON.stringify(result, null, 2));
		console.log('\nmarkdown rows:');
		for (const s of sizes) {
			console.log(
				`| ${grouped(s.rows)} | ${stack.s3.kind} | ${s.csvMB} MB | ${fmt(s.pipeS, 1)} s (${grouped(s.rows / s.pipeS)} rows/s) | ${fmt(
					s.pipelineS,
					1,
				)} s (${grouped(s.rows / s.pipelineS)} rows/s) | ` +
					`**${(s.ratio * 100).toFixed(0)}%** | ${fmt(s.peakRssMB, 0)} MB | ${s.loadAverage.before[0]} → ${s.loadAverage.after[0]} |`,
			);
		}
		const missed = sizes
			.flatMap((s) => [
				s.ratio < TARGET_RATIO ? `${grouped(s.rows)} rows: ${(s.ratio * 100).toFixed(0)}% of the pipe (target >= ${TARGET_RATIO * 100}%)` : null,
				s.peakRssMB > TARGET_RSS_MB ? `${grouped(s.rows)} rows: peak RSS ${fmt(s.peakRssMB, 0)} MB (target <= ${TARGET_RSS_MB} MB)` : null,
			])
			.filter(Boolean);
		console.log(missed.length ? `\nTARGET MISSED: ${missed.join('; ')}` : '\nall targets met');
		process.exitCode = missed.length ? 2 : 0;
	} finally {
		await new Promise((r) => setTimeout(r, 200)); // let ended pg sockets close before the server goes away
		await stack.stop();
	}
}

main().catch((err) => {
	console.error(`BENCH FAILED: ${(err as Error).stack ?? String(err)}`);
	process.exit(1);
});
