import type pg from 'pg';
import type { RelationColumns } from './relation';

/** How item mode turns the column's value back into JSON. */
export type OutputKind = 'text' | 'date' | 'integer' | 'number' | 'boolean' | 'textArray' | 'json';

export interface OutputColumn {
	name: string;
	kind: OutputKind;
}

/** Output columns from name → kind, in the order written. */
export function outputColumns(kinds: Record<string, OutputKind>): OutputColumn[] {
	return Object.entries(kinds).map(([name, kind]) => ({ name, kind }));
}

/** The input columns a family's config names, each with the config field that named it (`<family>.<field>`), in the order given. */
export function readsOf<C extends object>(family: EnrichStage['family'], cfg: C, fields: Array<keyof C & string>): EnrichStage['reads'] {
	return fields.map((field) => ({ column: cfg[field] as string | undefined, field: `${family}.${field}` }));
}

/**
 * One enrichment family as one set-based step: a SELECT that returns every input column plus `columns`.
 * Steps chain (each reads the previous step's relation), so later families can use earlier families' columns.
 */
export interface EnrichStage {
	family: 'temporal' | 'fx' | 'geo' | 'sessions' | 'segments';
	columns: OutputColumn[];
	/** Columns of the input this step reads, with the config field that named each (checked before any SQL runs). */
	reads: Array<{ column: string | undefined; field: string }>;
	/** Work outside SQL before the SELECT runs (the geo HTTP backend fills its cache here). */
	prepare?(client: pg.ClientBase, input: string, cols: RelationColumns): Promise<void>;
	/** `input` is a quoted relation name. */
	select(input: string, cols: RelationColumns): string;
}
