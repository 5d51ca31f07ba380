import type { INodeProperties } from 'n8n-workflow';
import { showWhen } from '../../shared/descriptions';
import { numberParameter, optionsParameter, requiredText, textParameter } from '../../shared/parameters';

const custom = showWhen('targetSource', 'custom');
const relation = { show: { targetSource: ['custom'], sourceKind: ['relation'] } };

/** Push Target with Target = Custom: the source relation or query, the target table, its key and the k gate. */
export const customTargetProperties: INodeProperties[] = [
	optionsParameter('Source', 'sourceKind', { default: 'relation', displayOptions: custom }, [
		{ name: 'Relation', value: 'relation', description: 'A marts table or view' },
		{ name: 'Query', value: 'query', description: 'One SELECT, run read-only in the warehouse' },
	]),
	textParameter('Source Schema', 'sourceSchema', { default: 'marts', displayOptions: relation }),
	requiredText('Source Table', 'sourceTable', { placeholder: 'agg_tagme_user_summary', displayOptions: relation }),
	requiredText('Source Query', 'sourceQuery', {
		typeOptions: { editor: 'sqlEditor', rows: 8 },
		placeholder: 'SELECT user_hash, count(*) AS checkins_30d FROM marts.fct_tagme_checkins GROUP BY 1',
		description: 'One SELECT. Column names become the target columns (lower-case identifiers).',
		displayOptions: { show: { targetSource: ['custom'], sourceKind: ['query'] } },
	}),
	requiredText('Target Schema', 'targetSchema', {
		placeholder: 'tagme',
		description: "The app's schema in analytics_db (not public)",
		displayOptions: custom,
	}),
	requiredText('Target Table', 'targetTable', { placeholder: 'user_summary', displayOptions: custom }),
	requiredText('Key Columns', 'key', {
		placeholder: 'user_hash',
		description: "Comma-separated; the target's primary key. The source must have one row per key.",
		displayOptions: custom,
	}),
	optionsParameter('Mode', 'mode', { default: 'mirror', displayOptions: custom }, [
		{ name: 'Mirror', value: 'mirror', description: 'Target rows no longer in the source are deleted (a forgotten user disappears)' },
		// The n8n wording ("create a new record, or update…") would hide the one thing this option changes.
		// eslint-disable-next-line n8n-nodes-base/node-param-option-name-wrong-for-upsert, n8n-nodes-base/node-param-description-wrong-for-upsert
		{ name: 'Upsert', value: 'upsert', description: 'Target rows no longer in the source stay (nothing is deleted except rows below K)' },
	]),
	requiredText('App Role', 'appRole', {
		placeholder: 'tagme_app',
		description: "The app's role: it gets SELECT on the target and nothing else. Created NOLOGIN if missing.",
		displayOptions: custom,
	}),
	textParameter('Group Size Column', 'groupSizeColumn', {
		placeholder: 'users_30d',
		description:
			'For aggregates: the column holding the distinct users behind each row. Rows below K are not pushed, and are removed from the target. Leave empty for per-user summaries and reference data.',
		displayOptions: custom,
	}),
	numberParameter('K', 'k', 5, {
		typeOptions: { minValue: 2 },
		description: 'Smallest group size that may be pushed (design doc §6.6: 5)',
		displayOptions: custom,
	}),
];
