import pg from 'pg';
import { columnNameFindings, type ColumnNameRule } from './columnNames';
import { detectPii, type DetectorName } from './detectors';

type Db = pg.Pool | pg.PoolClient;

export interface Relation {
	schema: string;
	table: string;
}

/** "schema.table" as typed in a node parameter → a Relation; quoting happens later, so any name is safe. */
export function parseRelationName(value: unknown): Relation {
	const [schema, table, ...rest] = String(value ?? '')
		.trim()
		.split('.');
	if (!schema || !table || rest.length)
		throw new Error(`Relation must be written schema.table (e.g. intermediate.int_auth_db__users), got "${String(value ?? '')}"`);
	return { schema, table };
}

/** What the gate found. Deliberately carries no value: findings end up in error messages, logs and run rows. */
export interface PiiFinding {
	table: string;
	column: string;
	detector: DetectorName | ColumnNameRule;
	kind: 'column_name' | 'content';
	/** Sampled values the detector fired on (0 for column-name findings). */
	sampleCount: number;
	/** Rows the content check read. */
	rowsSampled?: number;
	/** Rows in the relation: exact when the check read them all, else PostgreSQL's estimate (null when never analysed). */
	rowsTotal?: number | null;
}

export interface PiiScanOptions {
	/** Rows read for the content check. The read is bounded by LIMIT, so a huge table costs at most this. */
	sampleRows?: number;
	/** Columns a compliance reviewer has signed off (e.g. an fx_rate with 6 decimals that looks like a degree). */
	allowColumns?: string[];
}

export const DEFAULT_SAMPLE_ROWS = 5000;

/**
 * One line per finding, for error messages: `intermediate.int_users.email: email in 12 sampled values (read 5000 of
 * ~1200000 rows)`. A sampled scan says how much it read, so a reviewer knows a clean result is a sample's.
 */
export function describeFindings(findings: PiiFinding[]): string {
	return findings
		.map((f) =>
			f.kind === 'column_name'
				? `${f.table}.${f.column}: column name looks like ${f.detector}`
				: `${f.table}.${f.column}: ${f.detector} in ${f.sampleCount} sampled value${f.sampleCount === 1 ? '' : 's'}${describeSample(f)}`,
		)
		.join('; ');
}

function describeSample(f: PiiFinding): string {
	if (f.rowsSampled === undefined) return '';
	if (f.rowsTotal === f.rowsSampled) return ` (read all ${f.rowsSampled} rows)`;
	return ` (read ${f.rowsSampled} of ${f.rowsTotal === null || f.rowsTotal === undefined ? 'an unknown number of' : `~${f.rowsTotal}`} rows)`;
}

/**
 * Checks column names and a bounded content sample of one relation. Large tables (by pg_class.reltuples, so
 * ANALYZE a freshly built table first) are read through TABLESAMPLE SYSTEM so the sample is spread over the
 * whole heap instead of being its first pages; small or never-analysed ones are read from the start up to
 * `sampleRows`.
 */
export async function scanRelationForPii(db: Db, relation: Relation, opts: PiiScanOptions = {}): Promise<PiiFinding[]> {
	const sampleRows = opts.sampleRows ?? DEFAULT_SAMPLE_ROWS;
	const allow = new Set(opts.allowColumns ?? []);
	const name = `${relation.schema}.${relation.table}`;
	const target = `${pg.escapeIdentifier(relation.schema)}.${pg.escapeIdentifier(relation.table)}`;

	const { rows: cls } = await db.query<{ oid: number; reltuples: number }>(
		`SELECT c.oid::int AS oid, c.reltuples::float8 AS reltuples
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')`,
		[relation.schema, relation.table],
	);
	if (!cls.length) throw new Error(`PII check: relation ${name} does not exist`);
	const { rows: cols } = await db.query<{ attname: string }>(
		`SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
		[cls[0].oid],
	);
	const columns = cols.map((c) => c.attname).filter((c) => !allow.has(c));

	const findings: PiiFinding[] = [];
	for (const column of columns) {
		for (const rule of columnNameFindings(column)) findings.push({ table: name, column, detector: rule, kind: 'column_name', sampleCount: 0 });
	}
	if (!columns.length || sampleRows <= 0) return findings;

	const reltuples = cls[0].reltuples;
	const sampling = reltuples > sampleRows * 4 ? ` TABLESAMPLE SYSTEM (${Math.min(100, ((sampleRows * 4) / reltuples) * 100).toFixed(6)})` : '';
	const select = columns.map((c) => `${pg.escapeIdentifier(c)}::text`).join(', ');
	const { rows } = await db.query<unknown[]>({
		text: `SELECT ${select} FROM ${target}${sampling} LIMIT ${Math.floor(sampleRows)}`,
		rowMode: 'array',
	});

	// Fewer rows than asked for, read without TABLESAMPLE, is the whole table.
	const readAll = !sampling && rows.length < Math.floor(sampleRows);
	const rowsTotal = readAll ? rows.length : reltuples >= 0 ? Math.max(Math.round(reltuples), rows.length) : null;
	const counts = new Map<string, number>();
	for (const row of rows) {
		for (let i = 0; i < columns.length; i++) {
			const v = row[i];
			if (typeof v !== 'string') continue;
			for (const d of detectPii(v, { column: columns[i] })) {
				const key = `${i}\u0000${d}`;
				counts.set(key, (counts.get(key) ?? 0) + 1);
			}
		}
	}
	for (const [key, n] of counts) {
		const [i, d] = key.split('\u0000');
		findings.push({
			table: name,
			column: columns[Number(i)],
			detector: d as DetectorName,
			kind: 'content',
			sampleCount: n,
			rowsSampled: rows.length,
			rowsTotal,
		});
	}
	return findings;
}
