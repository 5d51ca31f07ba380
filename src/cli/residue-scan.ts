#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { loadPolicies } from '../anonymise/policyLoader';
import { formatResidueReport, scanResidue } from '../anonymise/residueScan';
import { anonymisationSecretsSchema } from '../anonymise/secrets.schema';
import { objectStoreFromEnv } from './objectStoreEnv';
import { VALUE, parseCommandLine, runCli } from './runCli';
import { UsageError, warehouseTarget, withTargetPool } from './warehouseUrl';

export const SECRETS_ENV = 'DWH_ANONYMISATION_SECRETS';

const USAGE = `Usage: dwh-residue-scan (in a checkout: npm run dwh:residue-scan --) --user-id ID --source-db DB [--email E] [--phone P] [options]
  --user-id        the forgotten person's source user id        --source-db  its source database (a policy's source_db)
  --email, --phone also search for these (free text and CSVs quote them)
  --url            warehouse URL (default: $DWH_WAREHOUSE_URL)   --analytics-url  analytics_db URL (default: $DWH_ANALYTICS_URL)
  --vault-url      compliance (token vault) URL (default: $DWH_VAULT_URL)
  --secrets-file   JSON file with {"salts": {...}, "hmacKey": "..."} (default: the JSON in $${SECRETS_ENV})
  --policies       policy directory (default: the package's policies/)
Object store (CSVs under exports/ and processed/): $DWH_S3_ENDPOINT, $DWH_S3_REGION, $DWH_S3_BUCKET, $DWH_S3_PREFIX,
$DWH_S3_ACCESS_KEY_ID, $DWH_S3_SECRET_ACCESS_KEY; without $DWH_S3_BUCKET no object is searched (the report says so).
Prints each place still holding the person (relation.column or object key:line) with a count, never the values;
legal holds from the forget audit are listed as holds. Exit 0 no residue, 1 residue found (or the scan failed), 2 usage.`;

function secretsFrom(file: string | undefined) {
	let text: string | undefined;
	if (file) {
		try {
			text = readFileSync(file, 'utf8');
		} catch {
			throw new UsageError(`--secrets-file ${file} cannot be read.`);
		}
	} else text = process.env[SECRETS_ENV];
	if (!text) throw new UsageError(`No salts: pass --secrets-file <json> or set ${SECRETS_ENV} (the anonymisation-secrets credential's salts and hmacKey).`);
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch {
		// Never echo the text: it holds the salts.
		throw new UsageError('The secrets are not valid JSON (expected {"salts": {"users": {"1": "…"}}, "hmacKey": "…"}).');
	}
	const parsed = anonymisationSecretsSchema.pick({ salts: true, hmacKey: true }).safeParse(raw);
	if (!parsed.success) throw new UsageError(`The secrets: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}.`);
	return parsed.data;
}

function optionalPool(url: string | undefined, name: string): { pool: pg.Pool; redact: (t: string) => string } | null {
	if (!url) return null;
	const t = warehouseTarget(url, name);
	const pool = new pg.Pool(t.pool);
	pool.on('error', () => undefined);
	return { pool, redact: t.redact };
}

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(
		argv,
		{
			'user-id': VALUE,
			'source-db': VALUE,
			email: VALUE,
			phone: VALUE,
			url: VALUE,
			'analytics-url': VALUE,
			'vault-url': VALUE,
			'secrets-file': VALUE,
			policies: VALUE,
		},
		USAGE,
	);
	if (!parsed) return 0;
	const { values } = parsed;
	if (!values['user-id']?.trim()) throw new UsageError('--user-id is required: the source user id of the person to look for.');
	if (!values['source-db']?.trim()) throw new UsageError('--source-db is required: the source database the id belongs to (e.g. auth_db).');
	const secrets = secretsFrom(values['secrets-file']);
	const policies = [...loadPolicies(values.policies).values()];
	const dbs = policies.map((p) => p.policy.source_db).sort();
	if (!dbs.includes(values['source-db'].trim()))
		throw new UsageError(`--source-db ${values['source-db']} has no anonymisation policy; use one of: ${dbs.join(', ')}.`);
	const store = objectStoreFromEnv();
	const target = warehouseTarget(values.url, 'dwh-residue-scan');
	const analytics = optionalPool(values['analytics-url'] ?? process.env.DWH_ANALYTICS_URL, 'dwh-residue-scan');
	const vault = optionalPool(values['vault-url'] ?? process.env.DWH_VAULT_URL, 'dwh-residue-scan');
	try {
		return await withTargetPool(target, async (warehouse) => {
			try {
				const report = await scanResidue(
					{ warehouse, analytics: analytics?.pool, vault: vault?.pool, store, secrets, policies },
					{ userId: values['user-id']!, sourceDb: values['source-db']!.trim(), email: values.email, phone: values.phone },
				);
				for (const line of formatResidueReport(report)) console.log(line);
				return report.residue.length ? 1 : 0;
			} catch (err) {
				const text = err instanceof Error ? err.message : String(err);
				throw new Error([analytics, vault].reduce((t, p) => (p ? p.redact(t) : t), text));
			}
		});
	} finally {
		await analytics?.pool.end();
		await vault?.pool.end();
		store?.client.destroy();
	}
}

if (require.main === module) runCli(main, USAGE);
