import type { IDataObject, IDisplayOptions, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { DbtCommandInput } from '../../../src/dbt/command.schema';
import { booleanParameter, textParameter } from '../../shared/parameters';

/** Select / Exclude / Vars / Full Refresh, shared by Run dbt Command and the step override of a dbt Cloud job. */
export const selectionFields = (displayOptions: IDisplayOptions): INodeProperties[] => [
	textParameter('Select', 'select', {
		placeholder: 'source:ledger_db.transactions+ tag:hourly',
		description: "Which dbt nodes to run (--select), space-separated. Checked against dbt's selector grammar before dbt starts.",
		displayOptions,
	}),
	textParameter('Exclude', 'exclude', { placeholder: 'tag:nightly', description: 'Which dbt nodes to leave out (--exclude)', displayOptions }),
	{
		displayName: 'Vars (JSON)',
		name: 'vars',
		type: 'json',
		default: '{}',
		description: 'Project variables (--vars) as a JSON object of plain values',
		displayOptions,
	},
	booleanParameter('Full Refresh', 'fullRefresh', false, 'Whether to rebuild incremental models and seeds from scratch (--full-refresh)', { displayOptions }),
];

/** The selection fields of item `i` as a dbt command; `command` is the parameter's value or the Cloud step. */
export function selectionOf(fns: IExecuteFunctions, i: number, command: DbtCommandInput['command']): DbtCommandInput {
	const list = (name: string) => String(fns.getNodeParameter(name, i, '') ?? '').trim();
	const select = list('select');
	const exclude = list('exclude');
	return {
		command,
		select: select ? [select] : [],
		exclude: exclude ? [exclude] : [],
		vars: fns.getNodeParameter('vars', i, '{}') as string | IDataObject as DbtCommandInput['vars'],
		fullRefresh: fns.getNodeParameter('fullRefresh', i, false) as boolean,
	};
}
