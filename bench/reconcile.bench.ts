/**
 * `npx tsx bench/reconcile.bench.ts --rows 1000000 [--differences 100] [--s3 auto|minio|s3rver] [--segment-rows N --leaf-rows N --fanout N]`
 *
 * Cost of reconciling one N-row table (src/reconcile) on the dev stack's real PostgreSQL: a table that matches, the
 * same table with `--differences` scattered differences (a third lost from bronze, a third hard-deleted at the source,
 * a third changed at the source under an old stamp), and their repair — wall time, rows each server read, ranges
 * compared — against the baseline a reconcile replaces: a full `COPY … TO STDOUT` of the table out of the source and
 * out of bronze (streamed and discarded, so only the servers' read and the transfer are timed). Bronze is filled by
 * the real pipeline (extract + load), whose time is printed too.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { objectStoreSchema, type PostgresConnection } from '../src/config/connection.schema';
import { migrateWarehouse } from '../src/control/migrate';
import type { S3ServerKind } from '../src/devstack/s3Server';
import { startDevStack, type DevStack } from '../src/devstack/stack';
import { extractTable } from '../src/extract/extractTable';
import { loadBronze } from '../src/load/loadBronze';
import { openPipelineContext } from '../src/pipeline/context';
import { reconcileTable, type ReconcileResult } from '../src/reconcile/reconcileTable';
import { CopyOutStream } from '../src/transport/copyOutStream';
import { devConnection, createBucket, createDatabases } from '../scripts/devstackSetup';
import { runBench } from './run';

const SOURCE_DB = 'bench_src';
const WAREHOUSE_DB = 'bench_wh';
const TABLE = `${SOURCE_DB}__accounts`;

const SOURCE_DDL = `
CREATE TABLE accounts (
    id           bigint PRIMARY KEY,
    user_id      bigint NOT NULL,
    status       text NOT NULL,
    balance_zar  numeric(18,2) NOT NULL,
    branch_code  text NOT NULL,
    holder_phone text,
    note         text,
    updated_at   timestamptz NOT NULL
)`;

const fillSql = (from: number, to: number, total: number) => `
INSERT INTO accounts
SELECT g, 1 + (g * 104729) % 250000,
       (ARRAY['active','dormant','frozen','closed'])[1 + g % 4],
       round((random() ^ 3 * 250000)::numeric, 2),
       lpad(((g * 31) % 999999)::text, 6, '0'),
       '+27' || (ARRAY['60','71','72','73','76','79','82','83','84'])[1 + g % 9] || lpad(((g * 7907) % 10000000)::text, 7, '0'),
       CASE WHEN g % 50 = 0 THEN 'Joint account, "Thabo & Lerato"' ELSE NULL END,
       now() - interval '1 hour' - interval '180 days' * (1 - g::float8 / ${total})
  FROM generate_series(${from}::bigint, ${to}::bigint) g`;

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const fmt = (n: number, d = 2) => n.toFixed(d);

const conn = (stack: DevStack, database: string): PostgresConnection => devConnection(stack.postgres, database, 'dwh-bench');

/** COPY the whole table out and throw the bytes away: what copying it to compare client-side costs at least. */
async function copyOut(c: PostgresConnection, sql: string): Promise<{ s: number; rows: number; mb: number }> {
	const client = new pg.Client(c);
	await client.connect();
	try {
		const t0 = process.hrtime.bigint();
		const stream = client.query(new CopyOutStream(`COPY (${sql}) TO STDOUT WITH (FORMAT csv)`));
		let bytes = 0;
		for await (const chunk of stream) bytes += (chunk as Buffer).length;
		return { s: secs(t0), rows: stream.rowCount, mb: bytes / 1024 / 1024 };
	} finally {
		await client.end();
	}
}

function line(what: string, r: ReconcileResult, s: number): string {
	return (
		`${what.padEnd(30)} ${fmt(s).padStart(7)} s  ${r.status.padEnd(11)} rows read source ${r.sourceRowsRead} / bronze ${r.bronzeRowsRead}, ` +
		`${r.rangesCompared} ranges; ${r.missingInBronze} missing, ${r.extraInBronze} deleted, ${r.staleInBronze} stale`
	);
}

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: {
			rows: { type: 'string', default: '1000000' },
			differences: { type: 'string', default: '100' },
			s3: { type: 'string', default: 'auto' },
			'segment-rows': { type: 'string' },
			'leaf-rows': { type: 'string' },
			fanout: { type: 'string' },
		},
	});
	const tuning = {
		...(values['segment-rows'] ? { segmentRows: Number(values['segment-rows']) } : {}),
		...(values['leaf-rows'] ? { leafRows: Number(values['leaf-rows']) } : {}),
		...(values.fanout ? { fanout: Number(values.fanout) } : {}),
	};
	const rows = Number(values.rows);
	const differences = Number(values.differences);
	const stack = await startDevStack({ s3: values.s3 as S3ServerKind | 'auto' });
	try {
		const serverVersion = await createDatabases(stack.postgres, [SOURCE_DB, WAREHOUSE_DB]);
		await createBucket(stack, 'dwh-bench');

		let t0 = process.hrtime.bigint();
		const src = new pg.Pool({ ...conn(stack, SOURCE_DB), max: 1 });
		src.on('error', () => undefined); // the stack's shutdown ends idle connections
		await src.query(SOURCE_DDL);
		for (let from = 1; from <= rows; from += 500_000) await src.query(fillSql(from, Math.min(rows, from + 499_999), rows));
		await src.query('VACUUM (ANALYZE) accounts');
		console.log(
			`bench: ${rows} rows, ${differences} differences, PostgreSQL ${serverVersion}, ${os.cpus().length} × ${
				os.cpus()[0]?.model ?? 'cpu'
			}; source built in ${fmt(secs(t0), 1)}s`,
		);

		const wh = new pg.Pool({ ...conn(stack, WAREHOUSE_DB), max: 1 });
		wh.on('error', () => undefined);
		await migrateWarehouse(wh);
		await wh.query(
			`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence, lookback)
			 VALUES ($1, $2, 'accounts', 'incremental', 'upsert', 'updated_at', '{id}', '5 minutes', '5 minutes')`,
			[TABLE, SOURCE_DB],
		);
		await wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1)`, [TABLE]);
		const ctx = openPipelineContext({
			source: conn(stack, SOURCE_DB),
			warehouse: conn(stack, WAREHOUSE_DB),
			store: objectStoreSchema.parse({
				endpoint: stack.s3.endpoint,
				region: stack.s3.region,
				accessKeyId: stack.s3.accessKeyId,
				secretAccessKey: stack.s3.secretAccessKey,
				bucket: 'dwh-bench',
			}),
		});
		try {
			t0 = process.hrtime.bigint();
			const x = await extractTable(ctx, TABLE);
			if (x.status !== 'uploaded') throw new Error(`extract ${x.status}: ${x.message}`);
			await loadBronze(ctx, { table: TABLE, runId: x.runId!, csvPath: x.csvPath! });
			const pipelineS = secs(t0);
			await wh.query(`VACUUM (ANALYZE) raw.${TABLE}`);
			console.log(`bronze filled by the pipeline (extract + load): ${fmt(pipelineS)} s`);

			const copySource = await copyOut(conn(stack, SOURCE_DB), 'SELECT * FROM accounts');
			const copyBronze = await copyOut(conn(stack, WAREHOUSE_DB), `SELECT * FROM raw.${TABLE}`);
			const copyKeys = await copyOut(conn(stack, SOURCE_DB), 'SELECT id, updated_at FROM accounts');
			console.log(`${'full COPY out, source'.padEnd(30)} ${fmt(copySource.s).padStart(7)} s  ${copySource.rows} rows, ${fmt(copySource.mb, 1)} MB`);
			console.log(`${'full COPY out, bronze'.padEnd(30)} ${fmt(copyBronze.s).padStart(7)} s  ${copyBronze.rows} rows, ${fmt(copyBronze.mb, 1)} MB`);
			console.log(`${'COPY out of (key, watermark)'.padEnd(30)} ${fmt(copyKeys.s).padStart(7)} s  ${copyKeys.rows} rows, ${fmt(copyKeys.mb, 1)} MB`);

			t0 = process.hrtime.bigint();
			const matched = await reconcileTable(ctx, TABLE, tuning);
			const matchedS = secs(t0);
			console.log(line('reconcile, table matches', matched, matchedS));
			if (matched.status !== 'matched') throw new Error(`expected a match, got ${matched.status}`);

			// Scattered differences: every (rows / differences)-th key, alternating the three kinds.
			const step = Math.floor(rows / differences);
			const ids = Array.from({ length: differences }, (_, i) => 1 + Math.floor(step / 2) + i * step);
			const lost = ids.filter((_, i) => i % 3 === 0);
			const deleted = ids.filter((_, i) => i % 3 === 1);
			const stale = ids.filter((_, i) => i % 3 === 2);
			await wh.query(`DELETE FROM raw.${TABLE} WHERE id = ANY($1::bigint[])`, [lost]);
			await src.query(`DELETE FROM accounts WHERE id = ANY($1::bigint[])`, [deleted]);
			await src.query(`UPDATE accounts SET status = 'frozen', updated_at = updated_at + interval '1 second' WHERE id = ANY($1::bigint[])`, [stale]);

			t0 = process.hrtime.bigint();
			const found = await reconcileTable(ctx, TABLE, tuning);
			const foundS = secs(t0);
			console.log(line(`reconcile, ${differences} differences`, found, foundS));
			if (found.missingInBronze !== lost.length || found.extraInBronze !== deleted.length || found.staleInBronze !== stale.length) {
				throw new Error(
					`expected ${lost.length}/${deleted.length}/${stale.length} differences, found ${found.missingInBronze}/${found.extraInBronze}/${found.staleInBronze}`,
				);
			}
			await wh.query(`UPDATE dwh_control.source_tables SET on_source_delete = 'delete' WHERE table_name = $1`, [TABLE]);
			t0 = process.hrtime.bigint();
			const repaired = await reconcileTable(ctx, TABLE, { ...tuning, repair: true });
			const repairedS = secs(t0);
			console.log(line('reconcile --repair', repaired, repairedS));
			if (repaired.status !== 'repaired') throw new Error(`expected repaired, got ${repaired.status}: ${repaired.message}`);
			console.log(
				JSON.stringify({
					date: new Date().toISOString(),
					rows,
					differences,
					tuning,
					postgres: serverVersion,
					machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GB`,
					pipelineFillS: pipelineS,
					copy: { source: copySource, bronze: copyBronze, sourceKeys: copyKeys },
					matched: { s: matchedS, sourceRowsRead: matched.sourceRowsRead, bronzeRowsRead: matched.bronzeRowsRead, ranges: matched.rangesCompared },
					differing: { s: foundS, sourceRowsRead: found.sourceRowsRead, bronzeRowsRead: found.bronzeRowsRead, ranges: found.rangesCompared },
					repair: { s: repairedS, sourceRowsRead: repaired.sourceRowsRead, bronzeRowsRead: repaired.bronzeRowsRead, repairRunId: repaired.repairRunId },
				}),
			);
		} finally {
			await ctx.close();
			await wh.end();
			await src.end();
		}
	} finally {
		await stack.stop();
	}
}

runBench(main);
