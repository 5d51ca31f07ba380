import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';
import type { DbtRunOutcome } from '../../../src/dbt/runOutcome';

const FAILED = ['error', 'fail', 'runtime error'];

/**
 * One item per dbt node plus the summary last. A run that did not succeed fails the node, naming each failed dbt
 * node, unless Continue On Fail is set: then the items are output and the summary's status says what happened.
 */
export function outcomeItems(fns: IExecuteFunctions, itemIndex: number, outcome: DbtRunOutcome): IDataObject[] {
	const { summary } = outcome;
	if (summary.status !== 'success' && !fns.continueOnFail()) {
		const failed = outcome.nodes.filter((n) => FAILED.includes(n.status));
		throw new NodeOperationError(
			fns.getNode(),
			`dbt ${summary.command} ${summary.status === 'failed' ? 'failed' : 'crashed'}: ${firstLine(summary.errorMessage)}`,
			{
				itemIndex,
				description:
					(failed.length ? failed.map((n) => `${n.uniqueId} (${n.status}): ${n.message ?? ''}`).join('\n') : summary.errorMessage ?? '') +
					(summary.artifactsDir ? `\n\ndbt.log and run_results.json: ${summary.artifactsDir}` : ''),
			},
		);
	}
	return [...outcome.nodes, summary] as unknown as IDataObject[];
}

function firstLine(s: string | null): string {
	return (s ?? 'see the node items')
		.split('\n')
		.map((l) => l.trim())
		.filter(Boolean)
		.slice(0, 2)
		.join(' — ');
}
