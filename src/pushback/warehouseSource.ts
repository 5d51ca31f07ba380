import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SQL_IDENTIFIER } from '../config/identifiers';
import { readSourceColumns, type SourceColumn } from '../extract/sourceColumns';
import type { PushSource } from './target.schema';
import { begin, rollbackQuietly } from '../transport/transaction';

/**
 * The warehouse side of one push, opened on its own connection in one REPEATABLE READ transaction: the PII scan,
 * the column list and both COPY streams see the same snapshot, so a mart rebuilt mid-push cannot slip
 * unchecked rows past the gate. A query source becomes a session-local temp view, so it is scanned, described
 * and streamed exactly like a marts relation; after that the transaction is switched to READ ONLY.
 */
export interface WarehouseSource {
	client: pg.PoolClient;
	/** The relation the PII scan and the COPY read: the marts relation itself, or the temp view of the query. */
	relation: { schema: string; table: string };
	/** Quoted relation for SQL text. */
	from: string;
	columns: SourceColumn[];
	/** For the run log: marts.agg_x, or 'query'. */
	description: string;
	/** Ends the read-only transaction. `discard` drops the connection instead: after a failed COPY the session may still be streaming. */
	close(discard?: boolean): Promise<void>;
}

export class PushSourceError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PushSourceError';
	}
}

export async function openWarehouseSource(pool: pg.Pool, source: PushSource): Promise<WarehouseSource> {
	const client = await pool.connect();
	let broken = false;
	let prepared: string | null = null;
	const close = async (discard = false) => {
		if (!discard) {
			broken = !(await rollbackQuietly(client));
			// Prepared statements outlive the transaction; the pooled session should not collect them.
			if (prepared && !broken) await client.query(`DEALLOCATE ${pg.escapeIdentifier(prepared)}`).catch(() => (broken = true));
		}
		client.release(discard || broken);
	};
	try {
		await begin(client, { isolation: 'REPEATABLE READ' });
		let relation: { schema: string; table: string };
		let description: string;
		if (source.kind === 'query') {
			const view = `pushback_source_${randomBytes(4).toString('hex')}`;
			try {
				// A named (prepared) statement is parsed as exactly one command: "SELECT 1; DROP …" is rejected.
				await client.query({ name: view, text: `CREATE TEMP VIEW ${pg.escapeIdentifier(view)} AS\n${source.sql}\n` });
				prepared = view;
			} catch (err) {
				throw new PushSourceError(`source.sql is not a valid single SELECT: ${(err as Error).message}`);
			}
			relation = { schema: await tempSchema(client), table: view };
			description = 'query';
		} else {
			relation = { schema: source.schema, table: source.table };
			description = `${source.schema}.${source.table}`;
			const { rows } = await client.query<{ rel: string | null }>('SELECT to_regclass($1)::text AS rel', [
				`${pg.escapeIdentifier(source.schema)}.${pg.escapeIdentifier(source.table)}`,
			]);
			if (!rows[0].rel) {
				throw new PushSourceError(
					`source relation ${description} does not exist in the warehouse (or the warehouse user cannot see it) — build the mart first or fix source.schema / source.table`,
				);
			}
		}
		await client.query('SET TRANSACTION READ ONLY');
		const columns = await readSourceColumns(client, relation.schema, relation.table);
		if (!columns.length) throw new PushSourceError(`source ${description} has no columns`);
		const bad = columns.filter((c) => !SQL_IDENTIFIER.test(c.name));
		if (bad.length) {
			throw new PushSourceError(
				`source ${description} has column name(s) ${bad
					.map((c) => JSON.stringify(c.name))
					.join(', ')} that are not lower-case SQL identifiers — alias them (AS snake_case) so the app's table has predictable names`,
			);
		}
		return {
			client,
			relation,
			from: `${pg.escapeIdentifier(relation.schema)}.${pg.escapeIdentifier(relation.table)}`,
			columns,
			description,
			close,
		};
	} catch (err) {
		await close(true);
		throw err;
	}
}

/** pg_my_temp_schema() is 0 until the session's first temp object; after CREATE TEMP VIEW it names the schema. */
async function tempSchema(client: pg.PoolClient): Promise<string> {
	const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()');
	if (!rows[0]) throw new Error('could not find the session temp schema after creating the source view');
	return rows[0].nspname;
}
