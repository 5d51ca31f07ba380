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
			description: 'custom target (seen in the run log)',
			...last(r.target_name),
		}));
	return [...ready, ...custom];
}
