import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { loadHolidays } from '../../../src/enrich/holidays';
import { executeItems } from '../../shared/items';
import { enrichResources, list } from './common.descriptions';
import { forOperation } from '../../shared/descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Load Holidays',
	value: 'loadHolidays',
	action: 'Load public holidays',
	description: 'Fill marts.dim_holidays from the packaged date-holidays data (1990-2060)',
};

const properties: INodeProperties[] = [
	{ displayName: 'Countries', name: 'holidayCountries', type: 'string', default: 'ZA', description: 'Comma-separated ISO country codes' },
	{ displayName: 'From Year', name: 'fromYear', type: 'number', default: 2020 },
	{ displayName: 'To Year', name: 'toYear', type: 'number', default: 2030 },
];

export const description = forOperation(option, properties);

/** Fills marts.dim_holidays for the countries and years. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, enrichResources(this), async ({ pool }, i) => {
		const cfg = {
			countries: list(this.getNodeParameter('holidayCountries', i, 'ZA') as string),
			fromYear: this.getNodeParameter('fromYear', i) as number,
			toYear: this.getNodeParameter('toYear', i) as number,
		};
		return { ...(await loadHolidays(pool, cfg)) } as unknown as IDataObject;
	});
}
