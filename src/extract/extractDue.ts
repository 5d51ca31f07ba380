import type { ExtractResult } from '../config/run.schema';
import { listDueTables } from '../control/dueTables';
import type { PipelineContext } from '../pipeline/context';
import { extractTable } from './extractTable';
import { safeErrorText } from '../privacy/safeErrorText';

/**
 * Extracts every table that is due, one at a time so the source sees at most one extract transaction from this
 * execution (plus the lock connection on the warehouse), whatever the registry size. A table that fails becomes a
 * failed result; the others carry on.
 */
export async function extractDueTables(ctx: PipelineContext, opts: { only?: string[]; sourceDbs?: string[] } = {}): Promise<ExtractResult[]> {
	let tables = await listDueTables(ctx.warehouse, { sourceDbs: opts.sourceDbs });
	if (opts.only?.length) tables = tables.filter((t) => opts.only!.includes(t));
	const results: ExtractResult[] = [];
	for (const table of tables) {
		try {
			results.push(await extractTable(ctx, table));
		} catch (err) {
			results.push({
				table,
				runId: null,
				status: 'failed',
				window: { lower: null, upper: null, upperCappedBy: null },
				rows: 0,
				csvPath: null,
				bytes: 0,
				sha256: null,
				message: safeErrorText(err),
			});
		}
	}
	return results;
}
