import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { describeFindings, parseRelationName, scanRelationForPii } from '../../../src/privacy/piiScan';
import { executeItems } from '../../shared/items';
import { postgresPool } from '../../shared/resources';
import { list, relation } from './common.descriptions';
import { forOperation } from '../../shared/descriptions';
import { booleanParameter, numberParameter, textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'PII Check',
	value: 'piiCheck',
	action: 'Check a relation for PII',
	description: 'Column names and sampled content against the PII detectors',
};

const properties: INodeProperties[] = [
	relation,
	numberParameter('Sample Rows', 'sampleRows', 5000, { typeOptions: { minValue: 0 } }),
	textParameter('Allowed Columns', 'allowColumns', { description: 'Comma-separated columns a compliance reviewer signed off' }),
	booleanParameter('Fail on Findings', 'failOnFindings', true, 'Whether any finding fails the node (otherwise findings are output)'),
];

export const description = forOperation(option, properties);

/** Column names and sampled content of a relation against the PII detectors; reads only, needs no secrets. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, postgresPool(this, 'anonymise'), async (pool, i) => {
		const rel = parseRelationName(this.getNodeParameter('relation', i));
		const findings = await scanRelationForPii(pool, rel, {
			sampleRows: this.getNodeParameter('sampleRows', i, 5000) as number,
			allowColumns: list(this.getNodeParameter('allowColumns', i, '')),
		});
		if (findings.length && (this.getNodeParameter('failOnFindings', i, true) as boolean)) {
			throw new NodeOperationError(this.getNode(), `PII found in ${rel.schema}.${rel.table}`, { description: describeFindings(findings), itemIndex: i });
		}
		return { relation: `${rel.schema}.${rel.table}`, passed: findings.length === 0, findings: findings as unknown as IDataObject[] };
	});
}
