import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { inputRelation } from '../../../src/anonymise/policy.schema';
import { loadPolicyFor } from '../../../src/anonymise/policyLoader';
import { anonymiseRelation, anonymiseTablesAtomically, relationColumns } from '../../../src/anonymise/runner';
import { forOperation } from '../../shared/descriptions';
import { executeItems } from '../../shared/items';
import { optionsParameter } from '../../shared/parameters';
import { anonymiseSession, options, optionsOf, sourceDb, table, text } from './common.descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Anonymise Relation',
	value: 'anonymiseRelation',
	action: 'Anonymise a bronze table into intermediate',
	description: 'Set-based in the warehouse: build, PII-check, then swap in intermediate.*',
};

const properties: INodeProperties[] = [
	sourceDb,
	optionsParameter('Tables', 'tableSelection', { default: 'one' }, [
		{ name: 'One Table', value: 'one' },
		{ name: 'Every Table of the Policy', value: 'all', description: 'Tables whose input relation exists, in one transaction' },
	]),
	table,
	optionsParameter('Build', 'build', { default: 'full' }, [
		{ name: 'Full Rebuild', value: 'full', description: 'Rebuild the whole table from its input' },
		{
			name: 'Incremental',
			value: 'incremental',
			description:
				'Only rows loaded since the last build, merged by key; a full rebuild whenever the result could differ (policy, salts or as-of date changed, snapshot tables)',
		},
	]),
	options,
];

export const description = forOperation(option, properties);

/** Set-based in the warehouse: builds intermediate.* from the input relation, PII-checks it, swaps it in. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, anonymiseSession(this), async ({ deps }, i) => {
		const { policiesDir, asOf } = optionsOf(this, i);
		const build = this.getNodeParameter('build', i, 'full') as 'full' | 'incremental';
		const loaded = loadPolicyFor(text(this, 'sourceDb', i), policiesDir);
		if (this.getNodeParameter('tableSelection', i, 'one') === 'all') {
			const jobs = [];
			for (const t of loaded.policy.tables) {
				if (await relationColumns(deps.warehouse, inputRelation(loaded.policy.source_db, t))) jobs.push({ loaded, table: t });
			}
			return (await anonymiseTablesAtomically(deps, jobs, { asOf, mode: 'set', build })) as unknown as IDataObject[];
		}
		return { ...(await anonymiseRelation(deps, { policy: loaded, table: text(this, 'table', i), asOf, build })) };
	});
}
