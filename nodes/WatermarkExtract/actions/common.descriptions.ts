import { NodeOperationError, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { assertTimeZone } from '../../../src/extract/csvFileName';
import { MAX_PARALLEL_TABLES } from '../../../src/extract/extractDue';
import { DEFAULT_EXPORT_TIMEZONE } from '../../../src/pipeline/context';
import { optionsCollection } from '../../shared/descriptions';

/**
 * Tables / Table / Source Databases / Options, shared by Extract and Reconcile: the same names in both, so a table
 * chosen for one stays chosen when the operation is switched (and saved Extract workflows keep their parameters).
 */
export const tableSelection: INodeProperties[] = [
	{
		displayName: 'Tables',
		name: 'selection',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'One Table', value: 'table', description: 'The chosen table now, whatever its cadence' },
			{
				name: 'All Tables Due Now',
				value: 'due',
				description: 'Every enabled table whose cadence (Reconcile: reconcile_cadence) has elapsed since its last run, one after another',
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
];

export const options: INodeProperties = optionsCollection('options', [
	{
		displayName: 'Export Time Zone',
		name: 'exportTimezone',
		type: 'string',
		default: DEFAULT_EXPORT_TIMEZONE,
		placeholder: 'Africa/Johannesburg',
		description:
			"IANA zone used only in CSV file names (&lt;YYYYMMDD_HHMM&gt;_&lt;zone&gt;_&lt;run&gt;.csv), also of a repair's CSV. Windows and watermarks are always exact timestamptz values.",
	},
	{
		displayName: 'Load While Extracting',
		name: 'loadWhileExtracting',
		type: 'boolean',
		default: false,
		description:
			'Whether to load each table into bronze in the same pass: the COPY out of the source feeds the upload and the warehouse at once, and the load commits once the CSV is stored, written straight to processed/ (no copy from exports/). Items come out with status "loaded" and the load\'s figures in "load"; Blob Load Bronze passes them through. Off: the CSV waits in exports/ for Blob Load Bronze.',
		displayOptions: { show: { '/operation': ['extract'] } },
	},
	{
		displayName: 'Parallel Tables',
		name: 'parallelTables',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_PARALLEL_TABLES },
		default: 1,
		description:
			"With All Tables Due Now: how many tables are worked on at once. Each holds one source and one warehouse connection, so this is capped at 4 (design §10.3) and at the credentials' Max Connections.",
		displayOptions: { show: { '/operation': ['extract'] } },
	},
	{
		displayName: 'Fail Node on Table Failure',
		name: 'failOnTableFailure',
		type: 'boolean',
		default: false,
		description:
			'Whether the node fails when any table failed. Off: a failed table is an output item with status "failed" and the others carry on. On: after every table was tried the execution fails, and tables that did extract wait to be loaded until their run is abandoned (twice the cadence).',
	},
	{
		displayName: 'Policies Folder',
		name: 'policiesDir',
		type: 'string',
		default: '',
		description:
			'Folder of anonymisation policy files on the n8n host, which say which tables hold personal data (a repair erases it from rows deleted at the source); empty uses the policies shipped in this package',
		displayOptions: { show: { '/operation': ['reconcile'] } },
	},
]);

export interface TableOptions {
	exportTimezone?: string;
	failOnTableFailure?: boolean;
	loadWhileExtracting?: boolean;
	parallelTables?: number;
	policiesDir?: string;
}

/** The Options of item `i`, with the export zone checked (it names CSV files). */
export function readOptions(fns: IExecuteFunctions, itemIndex: number): TableOptions & { exportTimezone: string } {
	const o = fns.getNodeParameter('options', itemIndex, {}) as TableOptions;
	const exportTimezone = (o.exportTimezone ?? DEFAULT_EXPORT_TIMEZONE).trim() || DEFAULT_EXPORT_TIMEZONE;
	try {
		assertTimeZone(exportTimezone);
	} catch (err) {
		throw new NodeOperationError(fns.getNode(), (err as Error).message, {
			itemIndex,
			description: 'Set Options → Export Time Zone to an IANA zone such as Africa/Johannesburg or UTC.',
		});
	}
	return { ...o, exportTimezone };
}

/** The chosen table of item `i` (Tables = One Table). */
export function readTable(fns: IExecuteFunctions, itemIndex: number): string {
	const table = String(fns.getNodeParameter('table', itemIndex) ?? '').trim();
	if (!table) {
		throw new NodeOperationError(fns.getNode(), 'No table chosen', {
			itemIndex,
			description: 'Choose a table from the list, or switch Tables to "All Tables Due Now".',
		});
	}
	return table;
}

/** One table's outcome, as Fail Node on Table Failure reports it. */
export interface TableOutcome {
	table: string;
	status: string;
	run: number | null;
	message: string | null;
}

/** With Fail Node on Table Failure, fails the node after every table was tried, naming each failed one. */
export function failOnTableFailures(fns: IExecuteFunctions, itemIndex: number, opts: TableOptions, verb: string, outcomes: TableOutcome[]): void {
	const failed = outcomes.filter((r) => r.status === 'failed');
	if (!failed.length || !opts.failOnTableFailure || fns.continueOnFail()) return;
	throw new NodeOperationError(fns.getNode(), `${failed.length} of ${outcomes.length} table(s) failed to ${verb}: ${failed.map((r) => r.table).join(', ')}`, {
		itemIndex,
		description: failed.map((r) => `${r.table}${r.run ? ` (run ${r.run})` : ''}: ${r.message}`).join('\n'),
	});
}
