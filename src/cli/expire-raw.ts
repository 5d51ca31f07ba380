#!/usr/bin/env node
import { DEFAULT_EXPIRE_BATCH, expireRawRows, type ExpireRawResult } from '../control/expireRaw';
import { VALUE, parseCommandLine, runCli } from './runCli';
import { UsageError, warehouseTarget, withTargetPool } from './warehouseUrl';

const USAGE = `Usage: dwh-expire-raw (in a checkout: npm run dwh:expire-raw --) [--url postgres://user@host:5432/db] [--table <registry name>]... [--batch-size N]
  --url         warehouse URL (default: $DWH_WAREHOUSE_URL); the password is never printed
  --table       only this table (repeatable); default every table with raw_retention_days (registry)
  --batch-size  rows deleted per batch, each under the table's pipeline lock (default ${DEFAULT_EXPIRE_BATCH})
Deletes rows loaded into raw.* longer ago than the table's retention, once an Anonymise build has published them;
one dwh_control.retention_runs row per table. Exit 1 when a table failed.`;

export function formatExpireResult(r: ExpireRawResult): string {
	return `${r.status.padEnd(10)}${r.table}: ${r.rowsRemoved} rows removed in ${r.batches} batch(es), loaded before ${r.cutoff} (${r.retentionDays} days)${
		r.message ? ` — ${r.message}` : ''
	}`;
}

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(argv, { url: VALUE, table: { type: 'string', multiple: true }, 'batch-size': VALUE }, USAGE);
	if (!parsed) return 0;
	const { values } = parsed;
	const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
	if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
		throw new UsageError(`--batch-size must be a positive integer, got ${values['batch-size']}`);
	const target = warehouseTarget(values.url, 'dwh-expire-raw');
	return withTargetPool(target, async (pool) => {
		console.log(`warehouse ${target.display}`);
		const results = await expireRawRows(pool, { tables: values.table, batchSize });
		for (const r of results) console.log(formatExpireResult(r));
		const removed = results.reduce((n, r) => n + r.rowsRemoved, 0);
		console.log(`${results.length} table(s), ${removed} rows removed, ${results.filter((r) => r.status === 'failed').length} failed`);
		return results.some((r) => r.status === 'failed') ? 1 : 0;
	});
}

if (require.main === module) runCli(main, USAGE);
