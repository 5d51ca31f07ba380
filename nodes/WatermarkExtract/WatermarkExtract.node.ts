import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type { ExtractResult } from '../../src/config/run.schema';
import { extractDueTables, MAX_PARALLEL_TABLES } from '../../src/extract/extractDue';
import { extractTable } from '../../src/extract/extractTable';
import { extractAndLoadTable } from '../../src/pipeline/extractAndLoad';
import { assertTimeZone } from '../../src/extract/csvFileName';
import { DEFAULT_EXPORT_TIMEZONE } from '../../src/pipeline/context';
import { credentialTestMethods } from '../shared/credentialTest';
import {
	OBJECT_STORE_CREDENTIAL,
	OBJECT_STORE_TEST_METHOD,
	POSTGRES_TEST_METHOD,
	SOURCE_CREDENTIAL,
	WAREHOUSE_CREDENTIAL,
} from '../shared/credentialTypes';
import { executeItems } from '../shared/items';
import { pipelineResources } from '../shared/pipelineContext';
import { registeredTableOptions, sourceDatabaseOptions } from '../shared/registryOptions';

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

export class WatermarkExtract implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Watermark Extract',
		name: 'watermarkExtract',
		icon: 'file:watermarkExtract.svg',
		group: ['input'],
		// 1.1 added the options Load While Extracting and Parallel Tables; their defaults keep version 1's behaviour.
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{ $parameter["selection"] === "due" ? "All tables due now" : $parameter["table"] }}',
		description: 'Extract new rows of registered source tables to CSV files in the object store, by watermark',
		defaults: { name: 'Watermark Extract' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{ name: WAREHOUSE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Warehouse (dwh)' },
			{ name: SOURCE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Source Replica' },
			{ name: OBJECT_STORE_CREDENTIAL, required: true, testedBy: OBJECT_STORE_TEST_METHOD, displayName: 'Object Store (S3/MinIO)' },
		],
		hints: [
			{
				message:
					'Tables with status "failed" or "skipped" are in the output with the reason in "message"; Blob Load Bronze passes them through without loading.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'afterExecution',
			},
		],
		properties: [
			{
				displayName: 'Tables',
				name: 'selection',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'One Table', value: 'table', description: 'Extract the chosen table now, whatever its cadence' },
					{
						name: 'All Tables Due Now',
						value: 'due',
						description: 'Every enabled table whose cadence has elapsed since its last run, one after another',
					},
				],
				default: 'due',
			},
			{
				displayName: 'Table Name or ID',
				name: 'table',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'getRegisteredTables' },
				required: true,
				default: '',
				description:
					'Registered table (dwh_control.source_tables), named raw.&lt;source_db&gt;__&lt;table&gt; in bronze. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code-examples/expressions/">expression</a>.',
				displayOptions: { show: { selection: ['table'] } },
			},
			{
				displayName: 'Source Database Names or IDs',
				name: 'sourceDatabases',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getSourceDatabases' },
				default: [],
				description:
					'Only tables from these source databases; leave empty for all. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code-examples/expressions/">expression</a>.',
				displayOptions: { show: { selection: ['due'] } },
			},
			{
				displayName:
					"Each extracted table waits for its load: until BlobLoadBronze has loaded a table's CSV, later extracts of that table are skipped. Connect this node to BlobLoadBronze (or the dwh-load-bronze sub-workflow).",
				name: 'loadNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Export Time Zone',
						name: 'exportTimezone',
						type: 'string',
						default: DEFAULT_EXPORT_TIMEZONE,
						placeholder: 'Africa/Johannesburg',
						description:
							'IANA zone used only in CSV file names (&lt;YYYYMMDD_HHMM&gt;_&lt;zone&gt;_&lt;run&gt;.csv). Windows and watermarks are always exact timestamptz values.',
					},
					{
						displayName: 'Load While Extracting',
						name: 'loadWhileExtracting',
						type: 'boolean',
						default: false,
						description:
							"Whether to load each table into bronze in the same pass: the COPY out of the source feeds the upload and the warehouse at once, and the load commits once the CSV is stored, written straight to processed/ (no copy from exports/). Items come out with status \"loaded\" and the load's figures in \"load\"; Blob Load Bronze passes them through. Off: the CSV waits in exports/ for Blob Load Bronze.",
					},
					{
						displayName: 'Parallel Tables',
						name: 'parallelTables',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: MAX_PARALLEL_TABLES },
						default: 1,
						description:
							"With All Tables Due Now: how many tables are worked on at once. Each holds one source and one warehouse connection, so this is capped at 4 (design §10.3) and at the credentials' Max Connections.",
					},
					{
						displayName: 'Fail Node on Table Failure',
						name: 'failOnTableFailure',
						type: 'boolean',
						default: false,
						description:
							'Whether the node fails when any table failed. Off: a failed table is an output item with status "failed" and the others carry on. On: after every table was tried the execution fails, and tables that did extract wait to be loaded until their run is abandoned (twice the cadence).',
					},
				],
			},
		],
	};

	methods = {
		loadOptions: {
			getRegisteredTables: registeredTableOptions,
			getSourceDatabases: sourceDatabaseOptions,
		},
		credentialTest: credentialTestMethods,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const fns = this;
		const output = await executeItems(fns, pipelineResources(fns, { source: true }), async (ctx, itemIndex) => {
			const selection = fns.getNodeParameter('selection', itemIndex) as 'table' | 'due';
			const options = fns.getNodeParameter('options', itemIndex, {}) as {
				exportTimezone?: string;
				failOnTableFailure?: boolean;
				loadWhileExtracting?: boolean;
				parallelTables?: number;
			};
			const work = options.loadWhileExtracting ? extractAndLoadTable : extractTable;
			const timeZone = (options.exportTimezone ?? DEFAULT_EXPORT_TIMEZONE).trim() || DEFAULT_EXPORT_TIMEZONE;
			try {
				assertTimeZone(timeZone);
			} catch (err) {
				throw new NodeOperationError(fns.getNode(), (err as Error).message, {
					itemIndex,
					description: 'Set Options → Export Time Zone to an IANA zone such as Africa/Johannesburg or UTC.',
				});
			}
			ctx.exportTimezone = timeZone;

			let results: ExtractResult[];
			if (selection === 'table') {
				const table = String(fns.getNodeParameter('table', itemIndex) ?? '').trim();
				if (!table) {
					throw new NodeOperationError(fns.getNode(), 'No table chosen', {
						itemIndex,
						description: 'Choose a table from the list, or switch Tables to "All Tables Due Now".',
					});
				}
				results = [await work(ctx, table)];
			} else {
				const sourceDbs = fns.getNodeParameter('sourceDatabases', itemIndex, []) as string[];
				results = await extractDueTables(ctx, { sourceDbs, parallelTables: options.parallelTables, work });
			}

			const failed = results.filter((r) => r.status === 'failed');
			if (failed.length && options.failOnTableFailure && !fns.continueOnFail()) {
				throw new NodeOperationError(
					fns.getNode(),
					`${failed.length} of ${results.length} table(s) failed to extract: ${failed.map((r) => r.table).join(', ')}`,
					{
						itemIndex,
						description: failed.map((r) => `${r.table}${r.runId ? ` (run ${r.runId})` : ''}: ${r.message}`).join('\n'),
					}
				);
			}
			return results.map(toJson);
		});
		return [output];
	}
}
