import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { enrichMartInputs } from '../../../src/enrich/martInputs';
import { executeItems } from '../../shared/items';
import { enrichResources, list } from './common.descriptions';
import { forOperation } from '../../shared/descriptions';
import { textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Build Mart Inputs',
	value: 'enrichMartInputs',
	action: 'Build the enriched relations the marts read',
	description: "The intermediate.enr_* relations dbt's marts read (FX, local day, cross-app events, user segments), in order; after Anonymise, before dbt",
};

const properties: INodeProperties[] = [
	textParameter('Only', 'martInputsOnly', {
		placeholder: 'intermediate.enr_ledger_transactions',
		description: 'Comma-separated mart inputs to rebuild (the cross-app events and users follow); empty builds all',
	}),
	textParameter('As Of', 'martInputsAsOf', { placeholder: '2026-06-30T22:00:00Z', description: "End of the segments' 30-day window; empty: now" }),
];

export const description = forOperation(option, properties);

/** Builds the enriched relations dbt's marts read, in dependency order; one item per execution item. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, enrichResources(this), async ({ pool }, i) => {
		const asOf = (this.getNodeParameter('martInputsAsOf', i, '') as string).trim();
		const r = await enrichMartInputs(pool, {
			only: list(this.getNodeParameter('martInputsOnly', i, '') as string),
			asOf: asOf || undefined,
			log: (m) => this.logger.info(m),
		});
		return {
			built: r.built.map((b) => ({ target: b.target, rows: b.rows, families: b.families, durationMs: b.durationMs })),
			skipped: r.skipped,
		} as unknown as IDataObject;
	});
}
