import type pg from 'pg';
import { READY_TARGETS } from './readyTargets';

export interface TargetListing {
	name: string;
	app: string;
	targetRelation: string;
	key: string[];
	mode: string;
	appRole: string;
	k: number | null;
	groupSizeColumn: string | null;
	reads: string[];
	/** Relations in `reads` that do not exist in the warehouse yet (dbt has not built them): pushing would fail. */
	missingReads: string[];
	description: string;
	lastRunId: number | null;
	lastStatus: string | null;
	lastStartedAt: string | null;
	lastFinishedAt: string | null;
	lastError: string | null;
}

interface StatusRow {
	target_name: string;
	target_relation: string;
	last_run_id: string;
	last_status: string;
	last_started_at: string;
	last_finished_at: string | null;
	last_error: string | null;
}

/** The ready-made targets with their last run from dwh_control.push_runs; custom targets that have run are listed too. */
export async function listTargets(warehouse: pg.Pool | pg.PoolClient): Promise<TargetListing[]> {
	const { rows } = await warehouse.query<StatusRow>('SELECT * FROM dwh_control.push_target_statuses()');
	const reads = [...new Set(READY_TARGETS.flatMap((r) => Object.keys(r.reads)))];
	// to_regclass answers NULL for a relation that does not exist, without raising.
	const existing = await warehouse.query<{ relation: string }>('SELECT r AS relation FROM unnest($1::text[]) AS r WHERE to_regclass(r) IS NOT NULL', [reads]);
	const exists = new Set(existing.rows.map((r) => r.relation));
	const status = new Map(rows.map((r) => [r.target_name, r]));
	const last = (name: string) => {
		const s = status.get(name);
		return {
			lastRunId: s ? Number(s.last_run_id) : null,
			lastStatus: s?.last_status ?? null,
			lastStartedAt: s?.last_started_at ?? null,
			lastFinishedAt: s?.last_finished_at ?? null,
			lastError: s?.last_error ?? null,
		};
	};
	const ready: TargetListing[] = READY_TARGETS.map((r) => ({
		name: r.config.name,
		app: r.app,
		targetRelation: `${r.config.target.schema}.${r.config.target.table}`,
		key: r.config.key,
		mode: r.config.mode,
		appRole: r.config.appRole,
		k: r.config.kAnonymity?.k ?? null,
		groupSizeColumn: r.config.kAnonymity?.groupSizeColumn ?? null,
		reads: Object.keys(r.reads),
		missingReads: Object.keys(r.reads).filter((rel) => !exists.has(rel)),
		description: r.config.description,
		...last(r.config.name),
	}));
	const readyNames = new Set(ready.map((r) => r.name));
	const custom = rows
		.filter((r) => !readyNames.has(r.target_name))
		.map<TargetListing>((r) => ({
			name: r.target_name,
			app: 'custom',
			targetRelation: r.target_relation,
			key: [],
			mode: '',
			appRole: '',
			k: null,
			groupSizeColumn: null,
			reads: [],
			missingReads: [],
			description: 'custom target (seen in the run log)',
			...last(r.target_name),
		}));
	return [...ready, ...custom];
}
