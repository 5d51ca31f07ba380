import { PushTargetConfigError, type PushTargetInput } from '../../src/pushback/target.schema';
import { readyTarget } from '../../src/pushback/readyTargets';

/** The node's Push Target parameters as n8n hands them over (strings for lists, numbers possibly as strings). */
export interface PushParameters {
	targetSource: 'ready' | 'custom';
	readyTarget?: string;
	sourceKind?: 'relation' | 'query';
	sourceSchema?: string;
	sourceTable?: string;
	sourceQuery?: string;
	targetSchema?: string;
	targetTable?: string;
	key?: string;
	mode?: 'mirror' | 'upsert';
	appRole?: string;
	groupSizeColumn?: string;
	k?: number | string;
	piiAllowColumns?: string;
	targetName?: string;
	/** Ready-made targets only: the app role's name on this analytics_db when it differs from the registry's. */
	appRoleOverride?: string;
	allowEmptySource?: boolean;
}

const list = (s: string | undefined) =>
	(s ?? '')
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

const blankToUndefined = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);

/** Maps parameters to a target config; pushTarget validates it (field names in errors match these parameters). */
export function targetFromParameters(p: PushParameters): PushTargetInput {
	if (p.targetSource === 'ready') {
		const name = String(p.readyTarget ?? '').trim();
		if (!name)
			throw new PushTargetConfigError([{ path: '', message: 'Ready-Made Target is empty — choose one of the listed targets (e.g. tagme.user_summary)' }]);
		const base = readyTarget(name).config;
		const role = blankToUndefined(p.appRoleOverride);
		return { ...base, ...(role ? { appRole: role } : {}), ...(p.allowEmptySource ? { allowEmptySource: true } : {}) };
	}
	const groupSizeColumn = blankToUndefined(p.groupSizeColumn);
	return {
		name: blankToUndefined(p.targetName),
		source:
			p.sourceKind === 'query'
				? { kind: 'query', sql: p.sourceQuery ?? '' }
				: { kind: 'relation', schema: (p.sourceSchema ?? '').trim(), table: (p.sourceTable ?? '').trim() },
		target: { schema: (p.targetSchema ?? '').trim(), table: (p.targetTable ?? '').trim() },
		key: list(p.key),
		mode: p.mode ?? 'mirror',
		appRole: (p.appRole ?? '').trim(),
		kAnonymity: groupSizeColumn ? { groupSizeColumn, k: p.k === undefined || p.k === '' ? 5 : Number(p.k) } : null,
		piiAllowColumns: list(p.piiAllowColumns),
		allowEmptySource: p.allowEmptySource === true,
	};
}
