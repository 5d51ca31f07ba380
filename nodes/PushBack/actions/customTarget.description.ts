import type { INodeProperties } from 'n8n-workflow';

const custom = { show: { targetSource: ['custom'] } };
const relation = { show: { targetSource: ['custom'], sourceKind: ['relation'] } };

/** Push Target with Target = Custom: the source relation or query, the target table, its key and the k gate. */
export const customTargetProperties: INodeProperties[] = [
	{
		displayName: 'Source',
		name: 'sourceKind',
		type: 'options',
		options: [
			{ name: 'Relation', value: 'relation', description: 'A marts table or view' },
			{ name: 'Query', value: 'query', description: 'One SELECT, run read-only in the warehouse' },
		],
		default: 'relation',
		displayOptions: custom,
	},
	{ displayName: 'Source Schema', name: 'sourceSchema', type: 'string', default: 'marts', displayOptions: relation },
	{
		displayName: 'Source Table',
		name: 'sourceTable',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'agg_tagme_user_summary',
		displayOptions: relation,
	},
	{
		displayName: 'Source Query',
		name: 'sourceQuery',
		type: 'string',
		typeOptions: { editor: 'sqlEditor', rows: 8 },
		default: '',
		required: true,
		placeholder: 'SELECT user_hash, count(*) AS checkins_30d FROM marts.fct_tagme_checkins GROUP BY 1',
		description: 'One SELECT. Column names become the target columns (lower-case identifiers).',
		displayOptions: { show: { targetSource: ['custom'], sourceKind: ['query'] } },
	},
	{
		displayName: 'Target Schema',
		name: 'targetSchema',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'tagme',
		description: "The app's schema in analytics_db (not public)",
		displayOptions: custom,
	},
	{ displayName: 'Target Table', name: 'targetTable', type: 'string', default: '', required: true, placeholder: 'user_summary', displayOptions: custom },
	{
		displayName: 'Key Columns',
		name: 'key',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'user_hash',
		description: "Comma-separated; the target's primary key. The source must have one row per key.",
		displayOptions: custom,
	},
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		options: [
			{ name: 'Mirror', value: 'mirror', description: 'Target rows no longer in the source are deleted (a forgotten user disappears)' },
			// The n8n wording ("create a new record, or update…") would hide the one thing this option changes.
			// eslint-disable-next-line n8n-nodes-base/node-param-option-name-wrong-for-upsert, n8n-nodes-base/node-param-description-wrong-for-upsert
			{ name: 'Upsert', value: 'upsert', description: 'Target rows no longer in the source stay (nothing is deleted except rows below K)' },
		],
		default: 'mirror',
		displayOptions: custom,
	},
	{
		displayName: 'App Role',
		name: 'appRole',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'tagme_app',
		description: "The app's role: it gets SELECT on the target and nothing else. Created NOLOGIN if missing.",
		displayOptions: custom,
	},
	{
		displayName: 'Group Size Column',
		name: 'groupSizeColumn',
		type: 'string',
		default: '',
		placeholder: 'users_30d',
		description:
			'For aggregates: the column holding the distinct users behind each row. Rows below K are not pushed, and are removed from the target. Leave empty for per-user summaries and reference data.',
		displayOptions: custom,
	},
	{
		displayName: 'K',
		name: 'k',
		type: 'number',
		typeOptions: { minValue: 2 },
		default: 5,
		description: 'Smallest group size that may be pushed (design doc §6.6: 5)',
		displayOptions: custom,
	},
];
