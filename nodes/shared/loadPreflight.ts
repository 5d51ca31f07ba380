import type { LoadRequest } from '../../src/config/run.schema';
import { getRun } from '../../src/control/runs';
import { LoadError } from '../../src/load/loadBronze';
import type { NodePipelineContext } from './pipelineContext';

/**
 * Reaches the object store before the load takes the table lock and opens its transaction: a store that is down
 * or refuses the key then fails at once with its own message, and the run stays 'uploaded' for the retry. A CSV
 * that is gone while its run still waits to be loaded is reported here too, since loading it could only fail.
 * (A missing object is normal for a run already loaded: its CSV has moved to processed/.)
 */
export async function checkCsvReachable(ctx: NodePipelineContext, req: LoadRequest): Promise<void> {
	const key = ctx.store.parseCsvPath(req.table, req.csvPath);
	if ((await ctx.store.size(key)) !== null) return;
	const run = await getRun(ctx.warehouse, req.runId);
	if (!run || run.table_name !== req.table || run.csv_path !== ctx.store.uri(key)) return; // loadBronze names these
	if (run.status !== 'uploaded' && run.status !== 'failed') return;
	throw new LoadError(
		`The CSV of run ${req.runId} is missing: ${ctx.store.uri(key)} does not exist`,
		req.runId,
		run.status === 'uploaded'
			? `Nothing can be loaded from it. Run ${req.runId} stays 'uploaded' until the next extract of ${req.table} abandons it (after twice the cadence, at least 15 minutes) and reads its window again.`
			: `Nothing to load; the next extract of ${req.table} reads this window again.`,
	);
}
