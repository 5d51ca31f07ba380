import type pg from 'pg';
import { enrichItemsSchema, type Families, type EnrichItemsInput } from './config.schema';
import { EnrichInputError, parseConfig } from './parseConfig';
import { describeRelation, ident } from './relation';
import type { OutputColumn, OutputKind } from './stage';
import type { FetchLike } from '../transport/fetchLike';
import { buildEnriched, checkColumns, prepareStages, stagesFor } from './stages';
import { inTransaction } from '../transport/transaction';

const ITEMS = 'pg_temp.__enrich_items';
const OUT = 'pg_temp.__enrich_items_out';
const INDEX = '__item_index';

/** The SQL type of the input column each family's config field names (segments' depend on its activity relation). */
const FIELD_TYPES = {
	temporal: { timestampColumn: 'timestamptz', timeZoneColumn: 'text', countryColumn: 'text', latitudeColumn: 'double precision' },
	fx: { timestampColumn: 'timestamptz', amountColumn: 'numeric', currencyColumn: 'text' },
	geo: { latitudeColumn: 'double precision', longitudeColumn: 'double precision' },
	sessions: { userColumn: 'text', timestampColumn: 'timestamptz', appColumn: 'text', eventColumn: 'text' },
} as const;

/** The SQL type each configured column gets in the items' temp table (the first family to name it wins); every other field stays JSON-only. */
function columnTypes(f: Families): Map<string, string> {
	const types = new Map<string, string>();
	const set = (c: string | undefined, t: string) => c && !types.has(c) && types.set(c, t);
	for (const [family, fields] of Object.entries(FIELD_TYPES)) {
		const cfg = f[family as keyof typeof FIELD_TYPES] as Record<string, string | undefined> | undefined;
		for (const [field, type] of Object.entries(fields)) set(cfg?.[field], type);
	}
	set(f.sessions?.attribution?.revenueColumn, 'numeric');
	if (f.segments) {
		set(f.segments.userColumn, 'text');
		if (!f.segments.activityRelation) {
			set(f.segments.activityTimestampColumn, 'timestamptz');
			set(f.segments.activityAppColumn, 'text');
			set(f.segments.revenueColumn, 'numeric');
		}
	}
	return types;
}

function toJson(value: unknown, kind: OutputKind): unknown {
	if (value === null || value === undefined) return null;
	if (kind === 'number' || kind === 'integer') return Number(value);
	// node-postgres parses a date as local midnight: its local parts are the calendar day.
	if (kind === 'date' && value instanceof Date)
		return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
	return value;
}

/**
 * Enrich Items: the node's input items go into a temp table (one bound jsonb parameter, so values never become
 * SQL text), the same set-based families run over it, and each item comes back with the new fields added. Same
 * SQL as Enrich Relation, so small flows and warehouse runs agree on every definition.
 */
export async function enrichItems(
	pool: pg.Pool,
	items: Array<Record<string, unknown>>,
	input: EnrichItemsInput,
	/** The geo service's requests (n8n's request helper from the node); the global fetch otherwise. */
	fetchImpl?: FetchLike,
): Promise<Array<Record<string, unknown>>> {
	const cfg = parseConfig(enrichItemsSchema, input, 'Enrich Items config');
	if (items.length === 0) return [];
	const stages = stagesFor(cfg.families, fetchImpl);
	const types = columnTypes(cfg.families);
	const outputs: OutputColumn[] = stages.flatMap((s) => s.columns);
	const client = await pool.connect();
	let broken = false;
	try {
		const defs = [...types].map(([c, t]) => `${ident(c)} ${t}`);
		await client.query(`DROP TABLE IF EXISTS ${ITEMS}; DROP TABLE IF EXISTS ${OUT}`);
		await client.query(`CREATE TEMP TABLE __enrich_items (${[`${INDEX} integer`, ...defs].join(', ')})`);
		const rows = items.map((item, n) => {
			const row: Record<string, unknown> = { [INDEX]: n };
			for (const c of types.keys()) row[c] = item[c] === '' ? null : item[c];
			return row;
		});
		try {
			await client.query(`INSERT INTO ${ITEMS} SELECT * FROM jsonb_populate_recordset(NULL::${ITEMS}, $1::jsonb)`, [JSON.stringify(rows)]);
		} catch (err) {
			throw new EnrichInputError(`Items do not fit the configured columns (${[...types].map(([c, t]) => `${c}: ${t}`).join(', ')}): ${(err as Error).message}`);
		}
		const source = await describeRelation(client, ITEMS);
		const views = checkColumns(source, stages);
		await prepareStages(client, ITEMS, stages, views);
		const { rows: out } = await inTransaction(client, async () => {
			await buildEnriched(client, { source: ITEMS, target: OUT, targetIsTemp: true, stages });
			return client.query(`SELECT ${[INDEX, ...outputs.map((c) => c.name)].map(ident).join(', ')} FROM ${OUT} ORDER BY ${INDEX}`);
		});
		const byIndex = new Map(out.map((r) => [r[INDEX] as number, r]));
		return items.map((item, n) => {
			const r = byIndex.get(n) ?? {};
			const added: Record<string, unknown> = {};
			for (const c of outputs) added[c.name] = toJson(r[c.name], c.kind);
			return { ...item, ...added };
		});
	} finally {
		await client.query(`DROP TABLE IF EXISTS ${ITEMS}; DROP TABLE IF EXISTS ${OUT}`).catch(() => {
			broken = true;
		});
		client.release(broken);
	}
}
