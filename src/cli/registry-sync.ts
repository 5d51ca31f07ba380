#!/usr/bin/env node
import { defaultRegistryPath, loadRegistryFile } from '../control/registryFile';
import { syncRegistry, type RegistrySyncReport } from '../control/registrySync';
import { warehouseTarget, withTargetPool } from './warehouseUrl';
import { FLAG, VALUE, parseCommandLine, runCli } from './runCli';

const USAGE = `Usage: dwh-registry-sync (in a checkout: npm run dwh:registry-sync --) [--url postgres://user@host:5432/db] [--file source-registry.json] [--dry-run] [--keep-missing]
  --url           warehouse URL (default: $DWH_WAREHOUSE_URL); the password is never printed
  --file          registry file (default: the package's dwh-control-sql/source-registry.json)
  --dry-run       show what would change; write nothing
  --keep-missing  leave registered tables that are not in the file enabled (default: disable them; never deleted)`;

export function formatSyncReport(r: RegistrySyncReport): string[] {
	const lines: string[] = [];
	const line = (what: string, rest: string) => `${what.padEnd(12)}${rest}`;
	for (const t of r.added) lines.push(line('added', t));
	for (const c of r.changed) {
		lines.push(line('changed', c.table));
		for (const ch of c.changes) lines.push(line('', `  ${ch.field}: ${JSON.stringify(ch.from)} -> ${JSON.stringify(ch.to)}`));
	}
	for (const m of r.removed) {
		if (m.action === 'disabled') lines.push(line('disabled', `${m.table} (not in the file; kept with its runs and watermark)`));
		else lines.push(line('not in file', `${m.table} (${m.action.replace('_', ' ')})`));
	}
	for (const w of r.warnings) lines.push(line('warning', w));
	lines.push(
		`registry ${r.version}: ${r.added.length} added, ${r.changed.length} changed, ${r.unchanged.length} unchanged, ` +
			`${r.removed.filter((m) => m.action === 'disabled').length} disabled${r.dryRun ? ' (dry run: nothing was written)' : ''}`,
	);
	return lines;
}

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(argv, { url: VALUE, file: VALUE, 'dry-run': FLAG, 'keep-missing': FLAG }, USAGE);
	if (!parsed) return 0;
	const { values } = parsed;
	const file = values.file ?? defaultRegistryPath();
	const registry = loadRegistryFile(file);
	const target = warehouseTarget(values.url, 'dwh-registry-sync');
	return withTargetPool(target, async (pool) => {
		console.log(`warehouse ${target.display}`);
		console.log(`registry  ${file}`);
		const report = await syncRegistry(pool, registry, { dryRun: values['dry-run'], disableMissing: !values['keep-missing'] });
		for (const line of formatSyncReport(report)) console.log(line);
		return 0;
	});
}

if (require.main === module) runCli(main, USAGE);
