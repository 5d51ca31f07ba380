import type { ExtractResult } from '../config/run.schema';
import { listDueTables } from '../control/dueTables';
import type { PipelineContext } from '../pipeline/context';
import { extractResult, extractTable } from './extractTable';
import { safeErrorText } from '../privacy/safeErrorText';

/** Design doc §10.3: at most 4 parallel connections per ETL job. */
export const MAX_PARALLEL_TABLES = 4;

export interface DueTablesOptions {
	only?: string[];
	sourceDbs?: string[];
	/**
	 * Tables worked on at once (1 = one after another). Each holds one source and one warehouse connection while it
	 * runs, so this is capped at MAX_PARALLEL_TABLES and at the warehouse credential's Max Connections.
	 */
	parallelTables?: number;
	/** What to do with each table: extract it (default), or extract and load it (src/pipeline/extractAndLoad.ts). */
	work?: (ctx: PipelineContext, table: string) => Promise<ExtractResult>;
}

/** How many tables an execution may work on at once with these pools. */
export function parallelTablesFor(ctx: PipelineContext, requested: number | undefined): number {
	const poolMax = (ctx.warehouse as { options?: { max?: number } }).options?.max ?? MAX_PARALLEL_TABLES;
	return Math.max(1, Math.min(Math.floor(requested ?? 1), MAX_PARALLEL_TABLES, poolMax));
}

/**
 * Works through every table that is due, `parallelTables` at a time (default one at a time, so the source sees at
 * most one extract transaction from this execution), in registry order. A table that fails becomes a failed result;
 * the others carry on. Results come back in registry order whatever finished first.
 */
export async function extractDueTables(ctx: PipelineContext, opts: DueTablesOptions = {}): Promise<ExtractResult[]> {
	let tables = await listDueTables(ctx.warehouse, { sourceDbs: opts.sourceDbs });
	if (opts.only?.length) tables = tables.filter((t) => opts.only!.includes(t));
	const work = opts.work ?? extractTable;
	const results: ExtractResult[] = new Array(tables.length);
	let next = 0;
	const worker = async (): Promise<void> => {
		while (next < tables.length) {
			const i = next++;
			const table = tables[i];
			try {
				results[i] = await work(ctx, table);
			} catch (err) {
				results[i] = extractResult(table, null, { message: safeErrorText(err) });
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(parallelTablesFor(ctx, opts.parallelTables), tables.length) }, worker));
	return results;
}
