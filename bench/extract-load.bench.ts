/**
 * `npm run bench -- --rows 1000000 [--s3 auto|minio|s3rver] [--psql /usr/bin/psql] [--profile]`
 *
 * Extract + load of one N-row source table through the real pipeline (COPY → multipart upload → download → COPY
 * into the empty bronze table, the back-fill path → move to processed/), beside a `psql \copy` out-to-file-and-back-in
 * baseline measured on the same servers before and after the pipeline (the ratio uses their mean). The baseline loads
 * into a table of bronze's exact shape (same primary key, same two bookkeeping columns); its load into a table
 * without those two columns is reported beside it. Reports rows/s, wall time and this process's peak RSS (sampled
 * process.memoryUsage().rss and the kernel's VmHWM). Targets: >= 70% of the baseline's rows/s, peak RSS < 200 MB.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { objectStoreSchema, postgresConnectionSchema, type PostgresConnection } from '../src/config/connection.schema';
import { migrateWarehouse } from '../src/control/migrate';
import type { S3ServerKind } from '../src/devstack/s3Server';
import { startDevStack, type DevStack } from '../src/devstack/stack';
import { extractTable } from '../src/extract/extractTable';
import { loadBronze } from '../src/load/loadBronze';
import { openPipelineContext } from '../src/pipeline/context';

const SOURCE_DB = 'bench_src';
const WAREHOUSE_DB = 'bench_wh';
const TABLE = `${SOURCE_DB}__transactions`;
const TARGET_RSS_MB = 200;
const TARGET_RATIO = 0.7;

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
	rows: number;
	s3: S3ServerKind | 'auto';
	psql: string;
	/** Log every statement's duration on the servers and print the slow ones after the run. */
	profile: boolean;
}

function parseOptions(): Options {
	const { values } = parseArgs({
		options: {
			rows: { type: 'string', default: '1000000' },
			s3: { type: 'string', default: 'auto' },
			psql: { type: 'string', default: process.env.DWH_PSQL ?? '' },
			profile: { type: 'boolean', default: false },
		},
	});
	const rows = Number(values.rows);
	if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows must be a whole number >= 1000 (got "${values.rows}")`);
	if (!['auto', 'minio', 's3rver'].includes(values.s3!)) throw new Error(`--s3 must be auto, minio or s3rver (got "${values.s3}")`);
	return { rows, s3: values.s3 as Options['s3'], psql: values.psql || findPsql(), profile: values.profile ?? false };
}

function findPsql(): string {
	for (const c of ['/usr/bin/psql', '/usr/local/bin/psql']) if (existsSync(c)) return c;
	try {
		return execFileSync('which', ['psql']).toString().trim();
	} catch {
		throw new Error('The baseline needs the psql client: `apt-get install postgresql-client` (Debian/Ubuntu), `brew install libpq` (macOS), or pass --psql /path/to/psql');
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

function conn(stack: DevStack, database: string): PostgresConnection {
	const p = stack.postgres;
	return postgresConnectionSchema.parse({ host: p.host, port: p.port, user: p.user, password: p.password, database, applicationName: 'dwh-bench' });
}

function runPsql(psql: string, c: PostgresConnection, command: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', c.host, '-p', String(c.port), '-U', c.user, '-d', c.database, '-c', command], {
			env: { ...process.env, PGPASSWORD: c.password },
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		let err = '';
		child.stderr.on('data', (d: Buffer) => (err += d.toString()));
		child.on('error', reject);
		child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${err.trim()}`))));
	});
}

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const fmt = (n: number, d = 1) => n.toFixed(d);
const grouped = (n: number) => Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** Statements over `minMs` from the server log (written because --profile set log_min_duration_statement). */
function printSlowStatements(stack: DevStack, minMs: number): void {
	const log = readFileSync(path.join(stack.baseDir, 'pg', 'postgres.log'), 'utf8');
	console.log(`statements slower than ${minMs} ms:`);
	for (const m of log.matchAll(/duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): ([^\n]*)/g)) {
		if (Number(m[1]) >= minMs) console.log(`  ${Number(m[1]).toFixed(0).padStart(7)} ms  ${m[2].slice(0, 150)}`);
	}
}

interface BaselineRun {
	outS: number;
	/** Into a table of bronze's exact shape. */
	inS: number;
	/** Into a table of the source's shape (same primary key, without bronze's two bookkeeping columns). */
	inPlainS: number;
	csvBytes: number;
}

/** psql \copy out to a local file, then back in, in the same warehouse database the pipeline loads into. */
async function measureBaseline(opts: Options, source: PostgresConnection, whConn: PostgresConnection, wh: pg.Pool, work: string, label: string): Promise<BaselineRun> {
	await wh.query(`${SOURCE_DDL.replace('CREATE TABLE transactions', 'CREATE TABLE public.baseline_transactions')}`);
	// Bronze's exact shape: the source columns and primary key plus the two bookkeeping columns every bronze table
	// carries, filled by defaults as the pipeline's back-fill fills them (a constant run id: the cheapest default).
	await wh.query(
		SOURCE_DDL.replace('CREATE TABLE transactions', 'CREATE TABLE public.baseline_bronze_shape').replace(
			/\n\)$/,
			`,\n    _dwh_run_id bigint NOT NULL DEFAULT 0,\n    _dwh_loaded_at timestamptz NOT NULL DEFAULT now()\n)`,
		),
	);
	const file = path.join(work, 'baseline.csv');
	const cols = 'id, account_id, user_id, direction, amount_zar, category, merchant_name, reference, channel, payer_phone, note, created_at';
	let t0 = process.hrtime.bigint();
	await runPsql(opts.psql, source, `\\copy (SELECT ${cols} FROM public.transactions) TO '${file}' WITH (FORMAT csv, HEADER true)`);
	const outS = secs(t0);
	const csvBytes = statSync(file).size;
	t0 = process.hrtime.bigint();
	await runPsql(opts.psql, whConn, `\\copy public.baseline_bronze_shape (${cols}) FROM '${file}' WITH (FORMAT csv, HEADER true)`);
	const inS = secs(t0);
	t0 = process.hrtime.bigint();
	await runPsql(opts.psql, whConn, `\\copy public.baseline_transactions (${cols}) FROM '${file}' WITH (FORMAT csv, HEADER true)`);
	const inPlainS = secs(t0);
	rmSync(file);
	await wh.query('DROP TABLE public.baseline_transactions, public.baseline_bronze_shape');
	console.log(
		`baseline psql \\copy (${label} the pipeline): out ${fmt(outS, 2)}s + in ${fmt(inS, 2)}s = ${fmt(outS + inS, 2)}s ` +
			`(into a table without bronze's two bookkeeping columns: in ${fmt(inPlainS, 2)}s)`,
	);
	return { outS, inS, inPlainS, csvBytes };
}

async function main(): Promise<void> {
	const opts = parseOptions();
	const psqlVersion = execFileSync(opts.psql, ['--version']).toString().trim();
	const started = new Date();
	console.log(`bench: ${grouped(opts.rows)} rows, S3 ${opts.s3}, ${psqlVersion}`);
	const stack = await startDevStack({ s3: opts.s3 });
	const work = mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-'));
	try {
		const admin = new pg.Client(conn(stack, 'postgres'));
		await admin.connect();
		await admin.query(`CREATE DATABASE ${SOURCE_DB}`);
		await admin.query(`CREATE DATABASE ${WAREHOUSE_DB}`);
		if (opts.profile) {
			for (const db of [SOURCE_DB, WAREHOUSE_DB]) await admin.query(`ALTER DATABASE ${db} SET log_min_duration_statement = 0`);
		}
		const serverVersion = (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
		await admin.end();

		const bucket = 'dwh-bench';
		const s3 = new S3Client({ endpoint: stack.s3.endpoint, region: stack.s3.region, forcePathStyle: true, credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey } });
		await s3.send(new CreateBucketCommand({ Bucket: bucket }));
		s3.destroy();

		// Source table, built in the server so generating it costs this process nothing.
		let t0 = process.hrtime.bigint();
		const src = new pg.Pool({ ...conn(stack, SOURCE_DB), max: 1 });
		await src.query(SOURCE_DDL);
		const chunk = 500_000;
		for (let from = 1; from <= opts.rows; from += chunk) await src.query(fillSql(from, Math.min(opts.rows, from + chunk - 1), opts.rows));
		await src.query('VACUUM (ANALYZE) transactions'); // hint bits set now, so neither contender pays for them
		const srcSize = (await src.query<{ s: string }>(`SELECT pg_size_pretty(pg_total_relation_size('transactions')) AS s`)).rows[0].s;
		await src.end();
		console.log(`source table built: ${srcSize} in ${fmt(secs(t0))}s`);

		const whConn = conn(stack, WAREHOUSE_DB);
		const wh = new pg.Pool({ ...whConn, max: 1 });
		await migrateWarehouse(wh);
		await wh.query(
			`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
			 VALUES ($1, $2, 'transactions', 'incremental', 'append', 'created_at', '{id}', '5 minutes')`,
			[TABLE, SOURCE_DB],
		);
		await wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1) ON CONFLICT DO NOTHING`, [TABLE]);
		// Baseline before and after the pipeline, compared with their mean: the machine is shared, and a load change
		// between the phases would otherwise bias the ratio one way or the other.
		const before = await measureBaseline(opts, conn(stack, SOURCE_DB), whConn, wh, work, 'before');
		// The pipeline, measured with this process's memory.
		const ctx = openPipelineContext({
			source: conn(stack, SOURCE_DB),
			warehouse: whConn,
			store: objectStoreSchema.parse({ endpoint: stack.s3.endpoint, region: stack.s3.region, accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey, bucket, prefix: 'dataacuity' }),
			exportTimezone: 'Africa/Johannesburg',
			executionId: 'bench',
		});
		global.gc?.();
		const hwmReset = resetVmHwm();
		const rssBefore = process.memoryUsage().rss / 1024 / 1024;
		const sampler = new RssSampler();
		sampler.start();
		const cpu0 = process.cpuUsage();
		t0 = process.hrtime.bigint();
		const x = await extractTable(ctx, TABLE);
		const extractS = secs(t0);
		const peakAfterExtract = sampler.peak();
		if (x.status !== 'uploaded' || x.runId === null || !x.csvPath) throw new Error(`extract ${x.status}: ${x.message}`);
		const t1 = process.hrtime.bigint();
		const l = await loadBronze(ctx, { table: TABLE, runId: x.runId, csvPath: x.csvPath });
		const loadS = secs(t1);
		const pipeline = extractS + loadS;
		const cpu = process.cpuUsage(cpu0);
		const peakSampled = sampler.stop();
		const hwm = vmHwmMb();
		await ctx.close();
		const bronzeRows = Number((await wh.query<{ n: string }>(`SELECT count(*) AS n FROM raw.${TABLE}`)).rows[0].n);
		const after = await measureBaseline(opts, conn(stack, SOURCE_DB), whConn, wh, work, 'after');
		await wh.end();
		const baseOut = (before.outS + after.outS) / 2;
		const baseIn = (before.inS + after.inS) / 2;
		const baseInPlain = (before.inPlainS + after.inPlainS) / 2;
		const csvBytes = before.csvBytes;
		const baseline = baseOut + baseIn;
		const baselinePlain = baseOut + baseInPlain;
		if (x.rows !== opts.rows || l.rowsInserted !== opts.rows || bronzeRows !== opts.rows) {
			throw new Error(`row counts differ: source ${opts.rows}, extracted ${x.rows}, inserted ${l.rowsInserted}, bronze ${bronzeRows}`);
		}
		if (opts.profile) printSlowStatements(stack, 100);
		console.log(`pipeline: extract ${fmt(extractS, 2)}s + load ${fmt(loadS, 2)}s = ${fmt(pipeline, 2)}s`);

		console.log(`baseline (mean of before and after): out ${fmt(baseOut, 2)}s + in ${fmt(baseIn, 2)}s = ${fmt(baseline, 2)}s`);
		const ratio = baseline / pipeline;
		console.log(`throughput vs baseline: ${(ratio * 100).toFixed(1)}% (vs the table without bookkeeping columns: ${((baselinePlain / pipeline) * 100).toFixed(1)}%)`);
		const peak = Math.max(peakSampled, hwmReset && hwm !== null ? hwm : 0);
		const result = {
			date: started.toISOString(),
			rows: opts.rows,
			s3: stack.s3.kind,
			csvMB: Number((x.bytes / 1024 / 1024).toFixed(1)),
			baselineCsvMB: Number((csvBytes / 1024 / 1024).toFixed(1)),
			baseline: { outS: baseOut, inS: baseIn, totalS: baseline, rowsPerS: opts.rows / baseline, before, after },
			baselineWithoutMetaColumns: { outS: baseOut, inS: baseInPlain, totalS: baselinePlain, rowsPerS: opts.rows / baselinePlain, ratio: baselinePlain / (extractS + loadS) },
			pipeline: { extractS, loadS, totalS: pipeline, rowsPerS: opts.rows / pipeline, cpuUserS: cpu.user / 1e6, cpuSystemS: cpu.system / 1e6 },
			throughputVsBaseline: ratio,
			rss: { beforeMB: rssBefore, peakDuringExtractMB: peakAfterExtract, peakSampledMB: peakSampled, vmHwmMB: hwmReset ? hwm : null, peakMB: peak, atPeak: sampler.breakdown() },
			machine: {
				cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
				memoryGB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
				os: `${os.type()} ${os.release()}`,
				node: process.version,
				postgres: serverVersion,
				psql: psqlVersion,
			},
			pass: { throughput: ratio >= TARGET_RATIO, rss: peak < TARGET_RSS_MB },
		};
		console.log('\nresult (JSON):');
		console.log(JSON.stringify(result, null, 2));
		console.log('\nmarkdown row:');
		console.log(
			`| ${grouped(opts.rows)} | ${stack.s3.kind} | ${result.csvMB} MB | ${fmt(baseline, 1)} s (${grouped(opts.rows / baseline)} rows/s) | ` +
				`${fmt(extractS, 1)} + ${fmt(loadS, 1)} = ${fmt(pipeline, 1)} s (${grouped(opts.rows / pipeline)} rows/s) | ${(ratio * 100).toFixed(0)}% | ` +
				`${fmt(peakSampled, 0)} MB / ${hwmReset && hwm !== null ? `${fmt(hwm, 0)} MB` : 'n/a'} |`,
		);
		const failed = [!result.pass.throughput && `throughput ${(ratio * 100).toFixed(0)}% of baseline (target >= ${TARGET_RATIO * 100}%)`, !result.pass.rss && `peak RSS ${fmt(peak, 0)} MB (target < ${TARGET_RSS_MB} MB)`].filter(Boolean);
		console.log(failed.length ? `\nTARGET MISSED: ${failed.join('; ')}` : '\nboth targets met');
		process.exitCode = failed.length ? 2 : 0;
	} finally {
		rmSync(work, { recursive: true, force: true });
		await new Promise((r) => setTimeout(r, 200)); // let ended pg sockets close before the server goes away
		await stack.stop();
	}
}

main().catch((err) => {
	console.error(`BENCH FAILED: ${(err as Error).stack ?? String(err)}`);
	process.exit(1);
});
