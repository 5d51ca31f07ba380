import type { Faker } from '@faker-js/faker';
import type pg from 'pg';
import { createTables, fillTables, type SourceTables } from './tables';

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

/** How many app users a source of `rows` event rows has (user ids run 1…n in every source). */
export const userCount = (rows: number) => Math.max(50, Math.round(rows / 4));

/**
 * A source from its tables, a generator of their rows (seeded faker, nothing random besides) and its change():
 * seed creates the tables, generates every row, then fills the tables in their declared order.
 */
export function syntheticSource<T extends SourceTables>(
	name: string,
	tables: T,
	def: {
		/** Every table's rows; `users` is userCount(rows), the source's user ids 1…users. */
		rows(f: Faker, rows: number, users: number): Record<keyof T & string, Record<string, unknown>[]>;
		/** As SyntheticSource's change, with the same `users` as rows(). */
		change(db: pg.Pool, f: Faker, rows: number, users: number): Promise<string[]>;
	},
): SyntheticSource {
	return {
		db: name,
		async seed(db, f, rows) {
			await createTables(db, tables);
			return fillTables(db, tables, def.rows(f, rows, userCount(rows)));
		},
		change: (db, f, rows) => def.change(db, f, rows, userCount(rows)),
	};
}
