import { escapeIdentifier as q } from 'pg';

/**
 * The statements of one push, built from validated identifiers and always quoted. Pure, so the SQL a push runs
 * can be read and unit-tested without a server.
 */
export interface SyncColumn {
	name: string;
	/** Type on the target (the source's type, or text for types analytics_db does not have). */
	type: string;
}

export interface SyncSqlInput {
	target: { schema: string; table: string };
	columns: SyncColumn[];
	key: string[];
	/** Session-local staging tables on the target connection. */
	stage: string;
	suppressed: string;
}

export interface SyncSql {
	createStage: string;
	createSuppressed: string;
	copyIntoStage: string;
	copyIntoSuppressed: string;
	/** Returns n: keys that occur more than once (in the stage, or in both stage and suppressed). Counts, never values. */
	duplicateKeys: string;
	/** Returns n: staged rows with a NULL key column. */
	nullKeys: string;
	/** Removes target rows whose source row is now below k. */
	deleteSuppressed: string;
	/** Mirror mode: removes target rows the source no longer has. */
	deleteMissing: string;
	/** Updates only rows whose non-key columns changed (IS DISTINCT FROM, compared as text: json has no equality). */
	updateChanged: string | null;
	insertNew: string;
	/** The session is handed back to the pool after a push; its staging tables go first. */
	dropStaging: string;
}

export function relationName(schema: string, table: string): string {
	return `${q(schema)}.${q(table)}`;
}

export function buildSyncSql(i: SyncSqlInput): SyncSql {
	const target = relationName(i.target.schema, i.target.table);
	const stage = q(i.stage);
	const sup = q(i.suppressed);
	const names = i.columns.map((c) => c.name);
	const cols = names.map(q).join(', ');
	const keys = i.key.map(q).join(', ');
	const keyTypes = i.key.map((k) => {
		const col = i.columns.find((c) => c.name === k);
		if (!col) throw new Error(`key column ${k} is not among the source columns`);
		return col;
	});
	const nonKey = names.filter((n) => !i.key.includes(n));
	const keyMatch = (a: string, b: string) => i.key.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');

	const changed = nonKey.length
		? `(${nonKey.map((c) => `t.${q(c)}::text`).join(', ')}) IS DISTINCT FROM (${nonKey.map((c) => `s.${q(c)}::text`).join(', ')})`
		: null;

	return {
		createStage: `CREATE TEMP TABLE ${stage} (${i.columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`,
		createSuppressed: `CREATE TEMP TABLE ${sup} (${keyTypes.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`,
		copyIntoStage: `COPY ${stage} (${cols}) FROM STDIN`,
		copyIntoSuppressed: `COPY ${sup} (${keys}) FROM STDIN`,
		duplicateKeys: `SELECT count(*)::int AS n FROM (SELECT 1 FROM (SELECT ${keys} FROM ${stage} UNION ALL SELECT ${keys} FROM ${sup}) k
			GROUP BY ${keys} HAVING count(*) > 1) d`,
		nullKeys: `SELECT count(*)::int AS n FROM ${stage} WHERE ${i.key.map((k) => `${q(k)} IS NULL`).join(' OR ')}`,
		deleteSuppressed: `DELETE FROM ${target} t USING ${sup} s WHERE ${keyMatch('t', 's')}`,
		deleteMissing: `DELETE FROM ${target} t WHERE NOT EXISTS (SELECT 1 FROM ${stage} s WHERE ${keyMatch('s', 't')})`,
		updateChanged: changed
			? `UPDATE ${target} t SET ${nonKey.map((c) => `${q(c)} = s.${q(c)}`).join(', ')} FROM ${stage} s WHERE ${keyMatch('t', 's')} AND ${changed}`
			: null,
		dropStaging: `DROP TABLE IF EXISTS ${stage}, ${sup}`,
		insertNew: `INSERT INTO ${target} (${cols}) SELECT ${names.map((n) => `s.${q(n)}`).join(', ')} FROM ${stage} s
			WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch('t', 's')})`,
	};
}

/** CREATE TABLE for the first push: the source's columns, NOT NULL keys, and the configured key as primary key. */
export function buildCreateTargetSql(target: { schema: string; table: string }, columns: SyncColumn[], key: string[]): string {
	const defs = columns.map((c) => `${q(c.name)} ${c.type}${key.includes(c.name) ? ' NOT NULL' : ''}`);
	return `CREATE TABLE ${relationName(target.schema, target.table)} (${defs.join(', ')}, PRIMARY KEY (${key.map(q).join(', ')}))`;
}

/**
 * The SELECT streamed out of the warehouse. With a gate, `passing` selects rows whose group size is at least k
 * and `suppressed` the keys of the others; `(size >= k) IS NOT TRUE` also catches a NULL size.
 */
export function buildSourceSelects(
	from: string,
	columns: { name: string; castToText: boolean }[],
	key: string[],
	gate: { groupSizeColumn: string; k: number } | null,
): { passing: string; suppressed: string | null } {
	const list = columns.map((c) => (c.castToText ? `${q(c.name)}::text` : q(c.name))).join(', ');
	const keyList = key
		.map((k) => {
			const c = columns.find((x) => x.name === k);
			return c?.castToText ? `${q(k)}::text` : q(k);
		})
		.join(', ');
	if (!gate) return { passing: `SELECT ${list} FROM ${from}`, suppressed: null };
	const pass = `${q(gate.groupSizeColumn)} >= ${Math.trunc(gate.k)}`;
	return {
		passing: `SELECT ${list} FROM ${from} WHERE ${pass}`,
		suppressed: `SELECT ${keyList} FROM ${from} WHERE (${pass}) IS NOT TRUE`,
	};
}
