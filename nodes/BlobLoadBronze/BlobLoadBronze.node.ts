import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { loadRequestSchema, type LoadResult } from '../../src/config/run.schema';
import { loadBronze } from '../../src/load/loadBronze';
import { checkCsvReachable } from '../shared/loadPreflight';
import { credentialTestMethods } from '../shared/credentialTest';
import { OBJECT_STORE_SLOT, WAREHOUSE_SLOT } from '../shared/credentialSlots';
import { executeItems } from '../shared/items';
import { noticeParameter } from '../shared/parameters';
import { pipelineResources } from '../shared/pipelineContext';
import { NOT_AN_AGENT_TOOL } from '../shared/toolUse';

/** Extract statuses that come without a CSV to load. */
const NOT_LOADABLE = new Set(['skipped', 'failed']);

/** The parameter is text so an expression can feed it; '' means "not given" so the error says runId is missing. */
function runIdOf(value: unknown): number | string | undefined {
	if (value === null || value === undefined || value === '') return undefined;
	return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : (value as number | string);
}

function toJson(r: LoadResult): IDataObject {
	return { ...r };
}

/** An item this node does not load: the shape of a LoadResult with nothing loaded, so downstream nodes read one shape. */
function notLoadedItem(table: unknown, runId: unknown, status: 'already_loaded' | 'skipped', processedPath: unknown, message: string): IDataObject {
	const counts = { rowsInCsv: 0, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 0, rowsDeleted: 0 };
	const path = typeof processedPath === 'string' ? processedPath : null;
	return { table: typeof table === 'string' ? table : null, runId: runIdOf(runId) ?? null, status, ...counts, watermark: null, processedPath: path, message };
}

/** An item Watermark Extract already loaded (Load While Extracting): its load result, or what identifies the run. */
function loadedWhileExtracting(item: IDataObject, table: unknown, runId: unknown, csvPath: unknown): IDataObject {
	if (item.load && typeof item.load === 'object') return { ...(item.load as IDataObject) };
	return notLoadedItem(table, runId, 'already_loaded', csvPath, 'loaded by Watermark Extract (Load While Extracting); nothing to do');
}

function skippedItem(table: unknown, runId: unknown, extractStatus: string, extractMessage: unknown): IDataObject {
	const why = typeof extractMessage === 'string' && extractMessage ? `: ${extractMessage}` : '';
	return notLoadedItem(table, runId, 'skipped', null, `not loaded: the extract was ${extractStatus}${why}`);
}

export class BlobLoadBronze implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Blob Load Bronze',
		name: 'blobLoadBronze',
		icon: 'file:blobLoadBronze.svg',
		group: ['output'],
		version: 1,
		// A fixed text: the table usually comes from an expression on the incoming item, which the editor cannot resolve
		// without input data, and a subtitle that fails to resolve renders blank.
		subtitle: 'CSV → bronze (raw)',
		description: 'Load an extracted CSV from the object store into its bronze table in one transaction, then advance the watermark',
		defaults: { name: 'Blob Load Bronze' },
		inputs: ['main'],
		outputs: ['main'],
		// Not an agent tool: it commits bronze rows and moves watermarks in dwh_control (see NOT_AN_AGENT_TOOL).
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [{ ...WAREHOUSE_SLOT }, { ...OBJECT_STORE_SLOT }],
		properties: [
			noticeParameter(
				'inputNotice',
				'The defaults read the Watermark Extract item ({{ $json.table }} etc.). To replay a CSV by hand, enter the table, run ID and csv path of the run from dwh_control.extract_runs.',
			),
			{
				displayName: 'Table',
				name: 'table',
				type: 'string',
				required: true,
				default: '={{ $json.table }}',
				placeholder: 'auth_db__users',
				description: 'Registry name of the table (raw.&lt;source_db&gt;__&lt;table&gt; in bronze)',
			},
			{
				displayName: 'Run ID',
				name: 'runId',
				type: 'string',
				required: true,
				default: '={{ $json.runId }}',
				placeholder: '42',
				description: 'Extract run whose CSV to load (dwh_control.extract_runs.run_id); must belong to the same table',
			},
			{
				displayName: 'CSV Path',
				name: 'csvPath',
				type: 'string',
				required: true,
				default: '={{ $json.csvPath }}',
				placeholder: 's3://dwh-exports/dataacuity/exports/auth_db__users/20261124_1015_SAST_42.csv',
				description: "The run's CSV. Only files in the object-store credential's bucket under &lt;prefix&gt;/exports/&lt;table&gt;/ are accepted.",
			},
			{
				displayName: 'Extract Status',
				name: 'extractStatus',
				type: 'string',
				default: '={{ $json.status }}',
				description:
					'Items whose extract status is "skipped" or "failed" have no CSV: they are passed through with status "skipped" instead of being loaded. Items with status "loaded" were loaded by Watermark Extract (Load While Extracting) and are passed through. Leave empty to always load.',
			},
		],
	};

	methods = { credentialTest: credentialTestMethods };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const fns = this;
		const param = (name: string, itemIndex: number): unknown => fns.getNodeParameter(name, itemIndex, null);
		const output = await executeItems(
			fns,
			pipelineResources(fns, {}),
			async (ctx, itemIndex, item) => {
				const extractStatus = String(param('extractStatus', itemIndex) ?? '').trim();
				if (extractStatus === 'loaded') {
					return loadedWhileExtracting(item.json, param('table', itemIndex), param('runId', itemIndex), param('csvPath', itemIndex));
				}
				if (NOT_LOADABLE.has(extractStatus)) {
					return skippedItem(param('table', itemIndex), param('runId', itemIndex), extractStatus, item.json.message);
				}
				const req = loadRequestSchema.parse({
					table: String(param('table', itemIndex) ?? '').trim(),
					runId: runIdOf(param('runId', itemIndex)),
					csvPath: String(param('csvPath', itemIndex) ?? '').trim(),
					executionId: fns.getExecutionId(),
				});
				await checkCsvReachable(ctx, req);
				return toJson(await loadBronze(ctx, req));
			},
			{ errorFields: (itemIndex) => ({ table: param('table', itemIndex) as string, runId: runIdOf(param('runId', itemIndex)) ?? null, status: 'failed' }) },
		);
		return [output];
	}
}
