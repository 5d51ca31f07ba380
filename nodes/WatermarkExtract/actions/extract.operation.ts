import { updateDisplayOptions, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import type { ExtractResult } from '../../../src/config/run.schema';
import { extractDueTables } from '../../../src/extract/extractDue';
import { extractTable } from '../../../src/extract/extractTable';
import { extractAndLoadTable } from '../../../src/pipeline/extractAndLoad';
import { executeItems } from '../../shared/items';
import { noticeParameter } from '../../shared/parameters';
import { pipelineResources } from '../../shared/pipelineContext';
import { failOnTableFailures, readOptions, readTable } from './common.descriptions';

const properties: INodeProperties[] = [
	noticeParameter(
		'loadNotice',
		"Each extracted table waits for its load: until BlobLoadBronze has loaded a table's CSV, later extracts of that table are skipped. Connect this node to BlobLoadBronze (or the dwh-load-bronze sub-workflow).",
	),
];

export const description = updateDisplayOptions({ show: { operation: ['extract'] } }, properties);

/** The item shape (never row data): JSON-safe copy of the core's ExtractResult. */
function toJson(r: ExtractResult): IDataObject {
	return {
		table: r.table,
		runId: r.runId,
		status: r.status,
		window: { ...r.window },
		rows: r.rows,
		csvPath: r.csvPath,
		bytes: r.bytes,
		sha256: r.sha256,
		message: r.message,
		...(r.load ? { load: { ...r.load } } : {}),
	};
}

/** New rows of one table, or of every table due, as CSV files in exports/ (one item per table). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const fns = this;
	return executeItems(fns, pipelineResources(fns, { source: true }), async (ctx, itemIndex) => {
		const selection = fns.getNodeParameter('selection', itemIndex) as 'table' | 'due';
		const options = readOptions(fns, itemIndex);
		ctx.exportTimezone = options.exportTimezone;
		const work = options.loadWhileExtracting ? extractAndLoadTable : extractTable;
		const results =
			selection === 'table'
				? [await work(ctx, readTable(fns, itemIndex))]
				: await extractDueTables(ctx, {
						sourceDbs: fns.getNodeParameter('sourceDatabases', itemIndex, []) as string[],
						parallelTables: options.parallelTables,
						work,
				  });
		failOnTableFailures(
			fns,
			itemIndex,
			options,
			'extract',
			results.map((r) => ({ ...r, run: r.runId })),
		);
		return results.map(toJson);
	});
}
