#!/usr/bin/env node
import { objectStoreSchema, type ObjectStoreConfigInput } from '../config/connection.schema';
import { openPipelineContext } from '../pipeline/context';
import { reconcileTable, type ReconcileResult } from '../reconcile/reconcileTable';
import { safeErrorText } from '../privacy/safeErrorText';
import { connectionFromUrl } from './connectionUrl';
import { FLAG, VALUE, parseCommandLine, runCli } from './runCli';
import { UsageError, warehouseTarget } from './warehouseUrl';

const USAGE = `Usage: dwh-reconcile (in a checkout: npm run dwh:reconcile --) (--table <name> ... | --all) [--repair] [options]
  --table           registered table (raw name, e.g. auth_db__users); repeat for several
  --all             every enabled incremental table that has been loaded
  --repair          re-extract missing/stale keys and apply each table's on_source_delete (needs the object store)
  --url             warehouse URL, as the ETL login (default: $DWH_WAREHOUSE_URL)
  --source-url      replica URL; its database is replaced by each table's source_db (default: $DWH_SOURCE_URL)
  --max-connections per server (default 4, design §10.3)     --statement-timeout  ms per statement (default 0: none)
  --segment-rows    rows per top-level key range (default 100000)
  --leaf-rows       differing ranges this small are settled key by key (default 1000)
  --parallel        ranges compared at once (default 2)          --max-findings  stop after this many keys (default 10000)
  --policies        folder of anonymisation policies (default: the package's policies/): tables with a subject column
                    get the personal data of rows deleted at the source erased by --repair
Forgotten people: $DWH_ANONYMISATION_HMAC_KEY (the anonymisation-secrets HMAC key) tells their rows apart from lost ones;
without it a table holding personal data gets no missing/stale key re-extracted once anyone has been forgotten.
Object store for --repair: $DWH_S3_ENDPOINT, $DWH_S3_REGION, $DWH_S3_BUCKET, $DWH_S3_PREFIX, $DWH_S3_ACCESS_KEY_ID, $DWH_S3_SECRET_ACCESS_KEY.
Exit codes: 0 every table matched (or was repaired), 1 differences left or a failure, 2 usage.`;

function intOption(value: string | undefined, name: string): number | undefined {
	if (value === undefined) return undefined;
	if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, not ${JSON.stringify(value)}.`);
	return Number(value);
}

function storeFromEnv(repair: boolean): ObjectStoreConfigInput {
	const env = process.env;
	if (!repair) {
		// Comparing never touches the object store; the context only needs a well-formed config.
		return { accessKeyId: 'unused', secretAccessKey: 'unused', bucket: 'unused-by-compare' };
	}
	const missing = ['DWH_S3_BUCKET', 'DWH_S3_ACCESS_KEY_ID', 'DWH_S3_SECRET_ACCESS_KEY'].filter((k) => !env[k]);
	if (missing.length) throw new UsageError(`--repair writes the re-extracted keys as a CSV to the object store: set ${missing.join(', ')}.`);
	return {
		endpoint: env.DWH_S3_ENDPOINT ?? '',
		region: env.DWH_S3_REGION || undefined,
		bucket: env.DWH_S3_BUCKET!,
		prefix: env.DWH_S3_PREFIX || undefined,
		accessKeyId: env.DWH_S3_ACCESS_KEY_ID!,
		secretAccessKey: env.DWH_S3_SECRET_ACCESS_KEY!,
	};
}

export function formatResult(r: ReconcileResult): string {
	const counts = `${r.missingInBronze} missing, ${r.extraInBronze} deleted at source, ${r.staleInBronze} stale, ${r.changedDuringRun} changed meanwhile`;
	return (
		`${r.table.padEnd(32)} ${r.status.padEnd(11)} ${counts}; rows ${r.sourceRows}/${r.bronzeRows} (source/bronze) up to ${r.comparedUpTo}; ` +
		`read ${r.sourceRowsRead}/${r.bronzeRowsRead}, ${r.rangesCompared} ranges; run ${r.reconcileRunId}${r.message ? `; ${r.message}` : ''}`
	);
}

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(
		argv,
		{
			table: { type: 'string', multiple: true },
			all: FLAG,
			repair: FLAG,
			url: VALUE,
			'source-url': VALUE,
			'max-connections': VALUE,
			'statement-timeout': VALUE,
			'segment-rows': VALUE,
			'leaf-rows': VALUE,
			parallel: VALUE,
			'max-findings': VALUE,
			policies: VALUE,
		},
		USAGE,
	);
	if (!parsed) return 0;
	const { values } = parsed;
	if (!values.all && !values.table?.length) throw new UsageError('Name the tables with --table <name> (repeatable), or pass --all.');
	const target = warehouseTarget(values.url, 'dwh-reconcile');
	const sourceUrl = values['source-url'] ?? process.env.DWH_SOURCE_URL;
	if (!sourceUrl) throw new UsageError('No source replica: pass --source-url postgres://replicator@replica:5432/postgres or set DWH_SOURCE_URL.');
	const source = warehouseTarget(sourceUrl, 'dwh-reconcile');
	const limits = {
		maxConnections: intOption(values['max-connections'], 'max-connections'),
		statementTimeoutMs: intOption(values['statement-timeout'], 'statement-timeout'),
	};
	const options = {
		repair: values.repair,
		segmentRows: intOption(values['segment-rows'], 'segment-rows'),
		leafRows: intOption(values['leaf-rows'], 'leaf-rows'),
		parallel: intOption(values.parallel, 'parallel'),
		maxFindings: intOption(values['max-findings'], 'max-findings'),
		policiesDir: values.policies,
	};
	const ctx = openPipelineContext({
		warehouse: connectionFromUrl(values.url ?? process.env.DWH_WAREHOUSE_URL!, 'The warehouse URL', { ...limits, applicationName: 'dwh-reconcile' }),
		source: connectionFromUrl(sourceUrl, 'The source URL', { ...limits, applicationName: 'dwh-reconcile' }),
		store: objectStoreSchema.parse(storeFromEnv(values.repair)),
	});
	const redact = (text: string) => source.redact(target.redact(text));
	try {
		console.log(`warehouse ${target.display}`);
		console.log(`source    ${source.display}`);
		const tables = values.all
			? (
					await ctx.warehouse.query<{ table_name: string }>(
						`SELECT s.table_name FROM dwh_control.source_tables s JOIN dwh_control.extract_watermarks w USING (table_name)
						  WHERE s.enabled AND s.mode = 'incremental' AND isfinite(w.last_extracted_at) ORDER BY 1`,
					)
			  ).rows.map((r) => r.table_name)
			: values.table!;
		let clean = true;
		for (const table of tables) {
			try {
				const r = await reconcileTable(ctx, table, options, { hmacKey: process.env.DWH_ANONYMISATION_HMAC_KEY || undefined });
				console.log(formatResult(r));
				if (r.status === 'differences') clean = false;
			} catch (err) {
				clean = false;
				console.log(`${table.padEnd(32)} failed      ${redact(safeErrorText(err))}`);
			}
		}
		console.log(`${tables.length} table(s) reconciled${clean ? '' : '; differences left or failures: see dwh_control.v_reconcile_status'}`);
		return clean ? 0 : 1;
	} catch (err) {
		console.error(redact(err instanceof Error ? err.message : String(err)));
		return 1;
	} finally {
		await ctx.close();
	}
}

if (require.main === module) runCli(main, USAGE);
