#!/usr/bin/env node
import { loadRegistryFile } from '../control/registryFile';
import { sweepArchive, type SweepArchiveResult } from '../control/sweepArchive';
import { applyArchiveLifecycle, type LifecycleResult } from '../transport/archiveLifecycle';
import type { ObjectStore } from '../transport/objectStore';
import { describeObjectStoreError } from '../transport/objectStore';
import { OBJECT_STORE_ENV_HELP, objectStoreFromEnv } from './objectStoreEnv';
import { FLAG, VALUE, parseCommandLine, runCli } from './runCli';
import { UsageError, warehouseTarget, withTargetPool } from './warehouseUrl';

const USAGE = `Usage: dwh-archive-lifecycle (in a checkout: npm run dwh:archive-lifecycle --) [--file source-registry.json] [--dry-run] [--sweep [--url postgres://…]]
  --file     registry file whose retention.archive_days is applied (default: the package's dwh-control-sql/source-registry.json)
  --dry-run  print the rules, change nothing
  --sweep    also delete expired CSVs now, audited in dwh_control.retention_runs (needs --url or $DWH_WAREHOUSE_URL):
             the way to expire them on a server without lifecycle support (s3rver)
Object store: ${OBJECT_STORE_ENV_HELP} (required).
Sets one expiration rule per CSV area of the prefix (<prefix>/exports/, <prefix>/processed/) on the bucket, keeping
every other rule of the bucket. Exit 0 done; 1 the server has no lifecycle support and --sweep was not given, or a
step failed; 2 usage.`;

export function formatLifecycle(r: LifecycleResult, store: ObjectStore, days: number): string[] {
	if (!r.supported)
		return [
			`bucket ${store.cfg.bucket}: the server has no lifecycle support — expired CSVs must be deleted by the archive sweep (--sweep, or the dwh-retention-daily workflow)`,
		];
	return [
		...r.rules.map((rule) => `${r.dryRun ? 'would set' : 'set'} ${rule.ID}: objects under ${rule.Filter?.Prefix} expire ${days} days after they were written`),
		`bucket ${store.cfg.bucket}: ${r.rules.length} archive rule(s)${r.dryRun ? ' (dry run: nothing was changed)' : ''}, ${r.otherRules} other rule(s) kept`,
	];
}

export function formatSweep(r: SweepArchiveResult): string {
	return `${r.status.padEnd(10)}${r.area}/${r.table}: ${r.objectsRemoved} object(s) removed (${r.bytesRemoved} bytes), ${r.objectsKept} kept, written before ${
		r.cutoff
	} (${r.retentionDays} days)${r.message ? ` — ${r.message}` : ''}`;
}

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(argv, { file: VALUE, url: VALUE, 'dry-run': FLAG, sweep: FLAG }, USAGE);
	if (!parsed) return 0;
	const { values } = parsed;
	if (values['dry-run'] && values.sweep) throw new UsageError('--dry-run and --sweep exclude each other: a dry run deletes nothing.');
	const days = loadRegistryFile(values.file).retention.archive_days;
	const store = objectStoreFromEnv();
	if (!store) throw new UsageError('No object store: set DWH_S3_BUCKET (and the other DWH_S3_* variables).');
	const target = values.sweep ? warehouseTarget(values.url, 'dwh-archive-lifecycle') : null;
	try {
		let lifecycle: LifecycleResult;
		try {
			lifecycle = await applyArchiveLifecycle(store, days, { dryRun: values['dry-run'] });
		} catch (err) {
			console.error(describeObjectStoreError(err, store.cfg));
			return 1;
		}
		for (const line of formatLifecycle(lifecycle, store, days)) console.log(line);
		if (!target) return lifecycle.supported ? 0 : 1;
		return await withTargetPool(target, async (pool) => {
			console.log(`warehouse ${target.display}`);
			const results = await sweepArchive(pool, store, { days });
			for (const r of results) console.log(formatSweep(r));
			const failed = results.filter((r) => r.status === 'failed').length;
			console.log(`${results.reduce((n, r) => n + r.objectsRemoved, 0)} object(s) removed from ${results.length} folder(s), ${failed} failed`);
			return failed ? 1 : 0;
		});
	} finally {
		store.client.destroy();
	}
}

if (require.main === module) runCli(main, USAGE);
