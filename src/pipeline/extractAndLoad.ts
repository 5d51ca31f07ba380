import type { ExtractResult } from '../config/run.schema';
import { extractDueTables, type DueTablesOptions } from '../extract/extractDue';
import { extractTable } from '../extract/extractTable';
import { loadBronze } from '../load/loadBronze';
import { loadWhileExtracting } from '../load/loadWhileExtracting';
import { safeErrorText } from '../privacy/safeErrorText';
import type { PipelineContext } from './context';

/**
 * Extracts one table and loads it in the same pass (src/load/loadWhileExtracting.ts): status 'loaded' with the load's
 * figures in `load`. When the warehouse refused the overlapped load, its CSV was kept in exports/ with the run failed;
 * it is then replayed once through the separate load path, which also takes the de-duplicating stage path for a
 * back-fill whose CSV repeats a key.
 */
export async function extractAndLoadTable(ctx: PipelineContext, table: string): Promise<ExtractResult> {
	const x = await extractTable(ctx, table, { exporter: loadWhileExtracting });
	if (x.status !== 'failed' || x.runId === null || !x.csvPath) return x;
	try {
		const load = await loadBronze(ctx, { table: x.table, runId: x.runId, csvPath: x.csvPath });
		return {
			...x,
			status: 'loaded',
			csvPath: load.processedPath ?? x.csvPath,
			load,
			message: `replayed through the separate load: loaded; the overlapped load had failed: ${x.message}`,
		};
	} catch (err) {
		return { ...x, message: `replaying it through the separate load failed too: ${safeErrorText(err)}; the overlapped load had failed: ${x.message}` };
	}
}

/** Every due table extracted and loaded, up to `parallelTables` at once within the connection budget. */
export function extractAndLoadDueTables(ctx: PipelineContext, opts: Omit<DueTablesOptions, 'work'> = {}): Promise<ExtractResult[]> {
	return extractDueTables(ctx, { ...opts, work: extractAndLoadTable });
}
