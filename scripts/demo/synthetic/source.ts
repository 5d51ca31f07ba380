import type { Faker } from '@faker-js/faker';
import type pg from 'pg';

/** A synthetic stand-in for one production source database (design doc §5), shaped like its registry entries. */
export interface SyntheticSource {
	db: string;
	/** Creates the tables and fills them; returns rows per table. `rows` scales the largest (event) tables. */
	seed(db: pg.Pool, f: Faker, rows: number): Promise<Record<string, number>>;
	/**
	 * New inserts and updates stamped now(), as the apps would write them between two extract runs.
	 * Returns one line per table describing what changed, so the demo can show the next round picks it up.
	 */
	change(db: pg.Pool, f: Faker, rows: number): Promise<string[]>;
}

/** Moves identity sequences past explicitly inserted ids, so later app-style inserts get fresh ones. */
export async function syncIdentity(db: pg.Pool, tables: string[]): Promise<void> {
	for (const t of tables) {
		await db.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT coalesce(max(id), 0) + 1 FROM ${t}), false)`, [t]);
	}
}
