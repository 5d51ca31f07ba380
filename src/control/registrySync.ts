import type pg from 'pg';
import type { z } from 'zod';
import { bronzeTableName, sourceRegistrySchema, type SourceTable } from '../config/registry.schema';
import { parseRegistry } from './registryFile';
import { begin, rollbackQuietly } from '../transport/transaction';

export { loadRegistryFile, defaultRegistryPath, RegistryFileError } from './registryFile';

export type SourceRegistryInput = z.input<typeof sourceRegistrySchema>;

/** The registry columns a sync compares and writes, in report order. */
export const SYNCED_FIELDS = [
	'source_db',
	'source_schema',
	'source_table',
	'mode',
	'load_strategy',
	'watermark_column',
	'watermark_time_zone',
	'key_columns',
	'cadence',
	'lookback',
	'safety_lag',
	'schema_drift_policy',
	'excluded_columns',
	'on_source_delete',
	'raw_retention_days',
	'reconcile_cadence',
	'enabled',
	'description',
] as const satisfies readonly (keyof SourceTable)[];

type SyncedField = (typeof SYNCED_FIELDS)[number];
type Row = Pick<SourceTable, SyncedField> & { table_name: string };

export interface FieldChange {
	field: SyncedField;
	from: unknown;
	to: unknown;
}

export interface RegistrySyncReport {
	version: string;
	dryRun: boolean;
	added: string[];
	changed: { table: string; changes: FieldChange[] }[];
	unchanged: string[];
	/**
	 * In the warehouse but not in the file. Never deleted (their runs and watermark are history): 'disabled' by this
	 * sync, 'already_disabled', or 'left_enabled' when disableMissing is false (e.g. a sync of a filtered registry).
	 */
	removed: { table: string; action: 'disabled' | 'already_disabled' | 'left_enabled' }[];
	/** Changes the registry cannot make on its own for a table whose bronze already exists: what to do by hand. */
	warnings: string[];
}

export interface RegistrySyncOptions {
	/** Compute and return the report, write nothing. */
	dryRun?: boolean;
	/** Disable registered tables missing from `registry` (default true: the file is the source of truth). */
	disableMissing?: boolean;
}

const INTERVAL_FIELDS = ['cadence', 'lookback', 'safety_lag', 'reconcile_cadence'] as const;

/**
 * Makes dwh_control.source_tables match the registry in one transaction: inserts new tables (with a watermark row
 * seeded before any data, manual §4 A), updates changed ones field by field, disables the ones that left the file.
 * Intervals are compared as Postgres normalises them, so '60 minutes' in the file against '01:00:00' stored is no change.
 */
export async function syncRegistry(db: pg.Pool | pg.PoolClient, registry: SourceRegistryInput, opts: RegistrySyncOptions = {}): Promise<RegistrySyncReport> {
	const parsed = parseRegistry(registry);
	const dryRun = opts.dryRun ?? false;
	const disableMissing = opts.disableMissing ?? true;
	const client = isPoolClient(db) ? db : await db.connect();
	let broken = false;
	try {
		await begin(client);
		try {
			await client.query(`SET LOCAL IntervalStyle = 'postgres'`);
			// Writers queue behind each other; extracts (readers) are not blocked.
			await client.query('LOCK TABLE dwh_control.source_tables IN SHARE ROW EXCLUSIVE MODE');
			const wanted = await normaliseIntervals(client, parsed.tables);
			const current = await readCurrent(client);
			const report: RegistrySyncReport = { version: parsed.version, dryRun, added: [], changed: [], unchanged: [], removed: [], warnings: [] };

			for (const row of wanted) {
				const existing = current.get(row.table_name);
				if (!existing) {
					report.added.push(row.table_name);
					if (!dryRun) await upsert(client, row, parsed.version);
					continue;
				}
				const changes = diff(existing, row);
				if (changes.length === 0) {
					report.unchanged.push(row.table_name);
				} else {
					report.changed.push({ table: row.table_name, changes });
					report.warnings.push(...(await bronzeWarnings(client, row, changes)));
					if (!dryRun) await upsert(client, row, parsed.version);
				}
			}
			const inFile = new Set(wanted.map((r) => r.table_name));
			for (const [table, existing] of current) {
				if (inFile.has(table)) continue;
				if (!existing.enabled) {
					report.removed.push({ table, action: 'already_disabled' });
				} else if (!disableMissing) {
					report.removed.push({ table, action: 'left_enabled' });
				} else {
					report.removed.push({ table, action: 'disabled' });
					if (!dryRun) {
						await client.query(`UPDATE dwh_control.source_tables SET enabled = false, updated_at = now(), registry_version = $2 WHERE table_name = $1`, [
							table,
							parsed.version,
						]);
					}
				}
			}
			if (!dryRun) {
				await client.query(`INSERT INTO dwh_control.extract_watermarks (table_name) SELECT unnest($1::text[]) ON CONFLICT (table_name) DO NOTHING`, [
					wanted.map((r) => r.table_name),
				]);
			}
			await client.query(dryRun ? 'ROLLBACK' : 'COMMIT');
			return report;
		} catch (err) {
			broken = !(await rollbackQuietly(client));
			throw err;
		}
	} finally {
		if (!isPoolClient(db)) client.release(broken);
	}
}

/**
 * The registry row changes at once; the bronze table created from the old row does not. Each case that needs a hand
 * (or would break the next load) is spelled out, with the fix.
 */
async function bronzeWarnings(client: pg.PoolClient, row: Row, changes: FieldChange[]): Promise<string[]> {
	const { rows } = await client.query<{ column_name: string }>(
		`SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = $1`,
		[row.table_name],
	);
	if (rows.length === 0) return [];
	const bronzeColumns = new Set(rows.map((r) => r.column_name));
	const bronze = `raw.${row.table_name}`;
	const warnings: string[] = [];
	for (const c of changes) {
		if (c.field === 'key_columns') {
			warnings.push(
				`${row.table_name}: key_columns changed to (${row.key_columns.join(', ')}) but ${bronze} keeps its old key; ` +
					`replace it (ALTER TABLE ${bronze} DROP CONSTRAINT …, ADD PRIMARY KEY (${row.key_columns.join(
						', ',
					)})) before the next load — dwh_control.assert_bronze_keys() lists it until then`,
			);
		} else if (c.field === 'excluded_columns') {
			const nowExcluded = row.excluded_columns.filter((col) => !(c.from as string[]).includes(col) && bronzeColumns.has(col));
			if (nowExcluded.length) {
				warnings.push(
					`${row.table_name}: newly excluded ${nowExcluded.join(', ')} stay in ${bronze} with the values already loaded; ` +
						`if they must not be kept, clear them by hand (ALTER TABLE ${bronze} DROP COLUMN …)`,
				);
			}
		} else if (c.field === 'mode' || c.field === 'load_strategy') {
			warnings.push(
				`${row.table_name}: ${c.field} changed from ${String(c.from)} to ${String(
					c.to,
				)} with ${bronze} already loaded; check its rows, and reseed if the old strategy left them inconsistent`,
			);
		} else if (c.field === 'watermark_column' && row.watermark_column) {
			warnings.push(
				`${row.table_name}: watermark_column changed to ${row.watermark_column}; the stored watermark was a ${String(c.from ?? 'snapshot')} time — ` +
					`reset it if the columns differ in meaning (SELECT dwh_control.reset_watermark('${row.table_name}', …))`,
			);
		}
	}
	return warnings;
}

function isPoolClient(db: pg.Pool | pg.PoolClient): db is pg.PoolClient {
	return typeof (db as pg.PoolClient).release === 'function';
}

/** Each interval through Postgres' own parser, so a value the regex let through but Postgres rejects names its table. */
async function normaliseIntervals(client: pg.PoolClient, tables: SourceTable[]): Promise<Row[]> {
	const rows: Row[] = [];
	const cache = new Map<string, string>();
	for (const t of tables) {
		const row = { ...pick(t), table_name: bronzeTableName(t) };
		for (const field of INTERVAL_FIELDS) {
			const value = t[field];
			if (value == null) {
				// Only reconcile_cadence is nullable: null is "not on the schedule".
				(row as Record<string, unknown>)[field] = null;
				continue;
			}
			let normal = cache.get(value);
			if (normal === undefined) {
				try {
					const { rows: r } = await client.query<{ v: string }>('SELECT $1::interval::text AS v', [value]);
					normal = r[0].v;
				} catch (err) {
					throw new Error(`${row.table_name}.${field}: '${value}' is not a Postgres interval (${(err as Error).message})`);
				}
				cache.set(value, normal);
			}
			row[field] = normal;
		}
		rows.push(row);
	}
	return rows;
}

function pick(t: SourceTable): Pick<SourceTable, SyncedField> {
	const out = {} as Record<SyncedField, unknown>;
	for (const f of SYNCED_FIELDS) out[f] = t[f];
	return out as Pick<SourceTable, SyncedField>;
}

async function readCurrent(client: pg.PoolClient): Promise<Map<string, Row>> {
	const { rows } = await client.query<Row>(
		`SELECT table_name, ${SYNCED_FIELDS.map((f) => (INTERVAL_FIELDS.includes(f as (typeof INTERVAL_FIELDS)[number]) ? `${f}::text AS ${f}` : f)).join(', ')}
		   FROM dwh_control.source_tables`,
	);
	return new Map(rows.map((r) => [r.table_name, r]));
}

function diff(from: Row, to: Row): FieldChange[] {
	return SYNCED_FIELDS.filter((f) => JSON.stringify(from[f]) !== JSON.stringify(to[f])).map((field) => ({ field, from: from[field], to: to[field] }));
}

async function upsert(client: pg.PoolClient, r: Row, version: string): Promise<void> {
	await client.query(
		`INSERT INTO dwh_control.source_tables (table_name, source_db, source_schema, source_table, mode, load_strategy, watermark_column,
		        key_columns, cadence, lookback, safety_lag, schema_drift_policy, excluded_columns, enabled, description, registry_version,
		        watermark_time_zone, on_source_delete, raw_retention_days, reconcile_cadence)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		 ON CONFLICT (table_name) DO UPDATE SET
		        source_db = EXCLUDED.source_db, source_schema = EXCLUDED.source_schema, source_table = EXCLUDED.source_table,
		        mode = EXCLUDED.mode, load_strategy = EXCLUDED.load_strategy, watermark_column = EXCLUDED.watermark_column,
		        watermark_time_zone = EXCLUDED.watermark_time_zone, on_source_delete = EXCLUDED.on_source_delete,
		        raw_retention_days = EXCLUDED.raw_retention_days, reconcile_cadence = EXCLUDED.reconcile_cadence,
		        key_columns = EXCLUDED.key_columns, cadence = EXCLUDED.cadence, lookback = EXCLUDED.lookback,
		        safety_lag = EXCLUDED.safety_lag, schema_drift_policy = EXCLUDED.schema_drift_policy,
		        excluded_columns = EXCLUDED.excluded_columns, enabled = EXCLUDED.enabled, description = EXCLUDED.description,
		        registry_version = EXCLUDED.registry_version, updated_at = now()`,
		[
			r.table_name,
			r.source_db,
			r.source_schema,
			r.source_table,
			r.mode,
			r.load_strategy,
			r.watermark_column,
			r.key_columns,
			r.cadence,
			r.lookback,
			r.safety_lag,
			r.schema_drift_policy,
			r.excluded_columns,
			r.enabled,
			r.description,
			version,
			r.watermark_time_zone,
			r.on_source_delete,
			r.raw_retention_days ?? null,
			r.reconcile_cadence ?? null,
		],
	);
}
