import { updateDisplayOptions, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { reconcileDueTables, reconcileOrFailure, type DueReconcileResult } from '../../../src/reconcile/reconcileDue';
import { SECRETS_CREDENTIAL, secretsFromCredential } from '../../Anonymise/secretsCredential';
import { executeItems, type Resources } from '../../shared/items';
import { booleanParameter, noticeParameter } from '../../shared/parameters';
import { pipelineResources, type NodePipelineContext } from '../../shared/pipelineContext';
import { failOnTableFailures, readOptions, readTable } from './common.descriptions';

const properties: INodeProperties[] = [
	booleanParameter(
		'Repair',
		'repair',
		false,
		"Whether to repair what differs: re-extract missing and stale keys through the normal CSV → load path (a 'repair' run), and apply the table's on_source_delete to rows deleted at the source (personal data in them is erased, docs/reconcile.md). Off: compare and record only.",
	),
	noticeParameter(
		'reconcileNotice',
		'Compares the source with bronze by hashed key ranges and records each differing key in dwh_control.reconcile_findings (readable by the ETL login only). The output has counts only; differences left raise v_pipeline_alerts.',
	),
];

export const description = updateDisplayOptions({ show: { operation: ['reconcile'] } }, properties);

const COUNTS = [
	'sourceRows',
	'bronzeRows',
	'rangesCompared',
	'sourceRowsRead',
	'bronzeRowsRead',
	'missingInBronze',
	'extraInBronze',
	'staleInBronze',
	'erasedInBronze',
	'forgottenSubjects',
	'changedDuringRun',
	'unresolved',
] as const;

/** Counts only: never a key or a row value (keys stay in reconcile_findings, which dwh_readonly cannot read). */
function toJson(r: DueReconcileResult, repair: boolean): IDataObject {
	const done = 'findings' in r ? r : null;
	return {
		table: r.table,
		reconcileRunId: r.reconcileRunId,
		status: r.status,
		repair,
		watermark: done?.watermark ?? null,
		comparedUpTo: done?.comparedUpTo ?? null,
		...Object.fromEntries(COUNTS.map((c) => [c, done ? done[c] : null])),
		findingsTruncated: done?.findingsTruncated ?? false,
		repairRunId: done?.repairRunId ?? null,
		message: done ? done.message || null : r.message,
	};
}

/**
 * The pipeline context plus, when the optional Anonymisation Secrets credential is set, its HMAC key: with it the
 * rows of people Forget Users forgot are told apart from lost rows (src/reconcile/forgotten.ts).
 */
function reconcileResources(fns: IExecuteFunctions): Resources<NodePipelineContext & { hmacKey?: string }> {
	const pipeline = pipelineResources(fns, { source: true });
	return {
		async open(scope) {
			const hmacKey = fns.getNode().credentials?.[SECRETS_CREDENTIAL] ? secretsFromCredential(await fns.getCredentials(SECRETS_CREDENTIAL)).hmacKey : undefined;
			return Object.assign(await pipeline.open(scope), { hmacKey });
		},
		close: (ctx) => pipeline.close(ctx),
	};
}

/** Bronze against the source for one table, or every table whose reconcile_cadence is due (one item per table). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const fns = this;
	return executeItems(fns, reconcileResources(fns), async (ctx, itemIndex) => {
		const selection = fns.getNodeParameter('selection', itemIndex) as 'table' | 'due';
		const repair = fns.getNodeParameter('repair', itemIndex, false) as boolean;
		const options = readOptions(fns, itemIndex);
		ctx.exportTimezone = options.exportTimezone;
		const core = { repair, policiesDir: options.policiesDir?.trim() || undefined };
		const results =
			selection === 'table'
				? [await reconcileOrFailure(ctx, readTable(fns, itemIndex), core, { hmacKey: ctx.hmacKey })]
				: await reconcileDueTables(ctx, core, { sourceDbs: fns.getNodeParameter('sourceDatabases', itemIndex, []) as string[], hmacKey: ctx.hmacKey });
		failOnTableFailures(
			fns,
			itemIndex,
			options,
			'reconcile',
			results.map((r) => ({ table: r.table, status: r.status, run: r.reconcileRunId, message: r.message })),
		);
		return results.map((r) => toJson(r, repair));
	});
}
