#!/usr/bin/env node
import { migrateCompliance } from '../anonymise/complianceMigrate';
import { UsageError, warehouseTarget, withTargetPool } from './warehouseUrl';
import { VALUE, parseCommandLine, runCli } from './runCli';

export const COMPLIANCE_URL_ENV = 'DWH_COMPLIANCE_URL';

const USAGE = `Usage: dwh-migrate-compliance (in a checkout: npm run dwh:migrate-compliance --) [--url postgres://user@host:5432/compliance] [--dir <dir>]
  --url  compliance (vault) database URL (default: $${COMPLIANCE_URL_ENV}); the password is never printed
  --dir  migrations folder (default: the package's dwh-control-sql/compliance)
Run by the vault's owner: it creates compliance.token_vault, token_subjects, reveal_log and token_seq.`;

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(argv, { url: VALUE, dir: VALUE }, USAGE);
	if (!parsed) return 0;
	const { values } = parsed;
	const url = values.url ?? process.env[COMPLIANCE_URL_ENV];
	if (!url) throw new UsageError(`No compliance database: pass --url postgres://user@host:5432/compliance or set ${COMPLIANCE_URL_ENV}.`);
	const target = warehouseTarget(url, 'dwh-migrate-compliance');
	return withTargetPool(target, async (pool) => {
		console.log(`compliance database ${target.display}`);
		const applied = await migrateCompliance(pool, values.dir);
		for (const f of applied) console.log(`applied ${f}`);
		console.log(`${applied.length} applied`);
		return 0;
	});
}

if (require.main === module) runCli(main, USAGE);
