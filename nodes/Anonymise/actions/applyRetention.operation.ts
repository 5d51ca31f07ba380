import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { runRetention } from '../../../src/control/applyRetention';
import { ObjectStore } from '../../../src/transport/objectStore';
import { executeItems } from '../../shared/items';
import { readObjectStoreConfig } from '../../shared/pipelineContext';
import { postgresPool } from '../../shared/resources';
import { archiveDaysOf, registryFile } from './common.descriptions';
import { forOperation } from '../../shared/descriptions';
import { booleanParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Apply Retention',
	value: 'applyRetention',
	action: 'Expire raw rows and archived csvs past their retention',
	description:
		'Raw rows past the registry retention (once anonymised) and CSVs under exports/ and processed/ past archive_days, per table under its lock, audited in retention_runs',
};

const properties: INodeProperties[] = [
	booleanParameter(
		'Sweep the CSV Archive',
		'sweepArchive',
		true,
		"Whether to also delete CSVs under exports/ and processed/ older than the registry's retention.archive_days (needs the Object Store credential). Keep it on where the server has no lifecycle rules (s3rver); where it has them it is a backstop.",
	),
	registryFile,
];

export const description = forOperation(option, properties);

/** Raw expiry and the CSV archive sweep: one output item per table and layer, audited in retention_runs. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, postgresPool(this, 'anonymise'), async (pool, i) => {
		const archiveDays = archiveDaysOf(this, i);
		let store: ObjectStore | null = null;
		if (this.getNodeParameter('sweepArchive', i, true)) {
			try {
				store = new ObjectStore(await readObjectStoreConfig(this));
			} catch (err) {
				throw new NodeOperationError(this.getNode(), 'Sweep the CSV Archive is on but the Object Store credential is missing or invalid', {
					description: `Select a DataAcuity Object Store credential in "Object Store (the CSV archive)", or turn Sweep the CSV Archive off. ${
						(err as Error).message
					}`,
					itemIndex: i,
				});
			}
		}
		try {
			return (await runRetention(pool, store, { archiveDays, executionId: this.getExecutionId() })) as unknown as IDataObject[];
		} finally {
			store?.client.destroy();
		}
	});
}
