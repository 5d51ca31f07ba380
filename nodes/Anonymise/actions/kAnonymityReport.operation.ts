import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { enforceKAnonymity, kAnonymityReport, type GroupSizeOptions, type KAnonymityStrategy } from '../../../src/privacy/kAnonymity';
import { parseRelationName } from '../../../src/privacy/piiScan';
import { forOperation, showWhen } from '../../shared/descriptions';
import { executeItems } from '../../shared/items';
import { numberParameter, optionsParameter, requiredText } from '../../shared/parameters';
import { postgresPool } from '../../shared/resources';
import { list, relation, text } from './common.descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'K-Anonymity Report',
	value: 'kAnonymityReport',
	action: 'Report or enforce k anonymity',
	description: 'Smallest group over quasi-identifiers; optionally suppress or generalise small groups',
};

const properties: INodeProperties[] = [
	relation,
	requiredText('Quasi-Identifiers', 'quasiIdentifiers', { default: 'city,age_band', description: 'Comma-separated columns' }),
	numberParameter('K', 'k', 5, { typeOptions: { minValue: 1 } }),
	optionsParameter('Group Size', 'groupSize', { default: 'rows' }, [
		{ name: 'Rows', value: 'rows', description: 'One row per person' },
		{ name: 'Distinct Values of a Column', value: 'distinct', description: 'E.g. user_hash when a person has many rows.' },
		{ name: 'Sum of a Count Column', value: 'sum', description: 'Already aggregated tables (e.g. user_count)' },
	]),
	requiredText('Group Size Column', 'groupSizeColumn', { displayOptions: showWhen('groupSize', 'distinct', 'sum') }),
	optionsParameter('Enforce', 'enforce', { default: 'none' }, [
		{ name: 'Report Only', value: 'none' },
		{ name: 'Suppress Small Groups', value: 'suppress', description: 'Delete their rows (in place)' },
		{
			name: 'Generalise, Then Suppress',
			value: 'generalise',
			description: 'Set the chosen columns to NULL in small groups, then delete what is still below k',
		},
	]),
	requiredText('Columns to Generalise', 'generaliseColumns', { displayOptions: showWhen('enforce', 'generalise') }),
];

export const description = forOperation(option, properties);

/** Smallest group over the quasi-identifiers; optionally suppresses or generalises the groups below k in place. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, postgresPool(this, 'anonymise'), async (pool, i) => {
		const rel = parseRelationName(this.getNodeParameter('relation', i));
		const qi = list(this.getNodeParameter('quasiIdentifiers', i));
		const k = this.getNodeParameter('k', i, 5) as number;
		const size = this.getNodeParameter('groupSize', i, 'rows') as 'rows' | 'distinct' | 'sum';
		const sizeOpts: GroupSizeOptions =
			size === 'rows' ? {} : size === 'distinct' ? { distinctColumn: text(this, 'groupSizeColumn', i) } : { countColumn: text(this, 'groupSizeColumn', i) };
		const enforce = this.getNodeParameter('enforce', i, 'none') as 'none' | KAnonymityStrategy['strategy'];
		if (enforce === 'none') return { ...(await kAnonymityReport(pool, rel, qi, k, sizeOpts)) };
		const how: KAnonymityStrategy =
			enforce === 'suppress' ? { strategy: 'suppress' } : { strategy: 'generalise', columns: list(this.getNodeParameter('generaliseColumns', i)) };
		return { ...(await enforceKAnonymity(pool, rel, qi, k, how, sizeOpts)) } as unknown as IDataObject;
	});
}
