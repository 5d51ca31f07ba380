import type pg from 'pg';
import type { Families } from './config.schema';
import { fxStage } from './fx';
import { geoStage } from './geo';
import { describeRelation, ident, qualified, requireColumn, type RelationColumns } from './relation';
import { segmentsStage } from './segments';
import { sessionsStage } from './sessions';
import type { EnrichStage } from './stage';
import { temporalStage } from './temporal';
import type { FetchLike } from '../transport/fetchLike';
import { EnrichInputError } from './parseConfig';

/**
 * Fixed order, so each family can read what the earlier ones wrote: segments can rank revenue on FX's amount_zar,
 * temporal and sessions see the raw timestamps.
 */
/** `fetchImpl` carries the geo service's requests (n8n's request helper from the node; the global fetch otherwise). */
export function stagesFor(f: Families, fetchImpl?: FetchLike): EnrichStage[] {
	const stages: EnrichStage[] = [];
	if (f.temporal) stages.push(temporalStage(f.temporal));
	if (f.fx) stages.push(fxStage(f.fx));
	if (f.geo) stages.push(geoStage(f.geo, fetchImpl));
	if (f.sessions) stages.push(sessionsStage(f.sessions));
	if (f.segments) stages.push(segmentsStage(f.segments));
	return stages;
}

export interface StageTiming {
	family: string;
	ms: number;
}

/**
 * Checks every column a family reads exists (in the source or as an earlier family's output) and that no family
 * would add a column the relation already has — before any SQL runs, with the config field in the message.
 */
export function checkColumns(source: RelationColumns, stages: EnrichStage[]): RelationColumns[] {
	const views: RelationColumns[] = [];
	const available = new Map(source.types);
	for (const stage of stages) {
		const view = { relation: source.relation, types: new Map(available) };
		views.push(view);
		for (const r of stage.reads) requireColumn(view, r.column, r.field);
		for (const c of stage.columns) {
			if (available.has(c.name)) {
				throw new EnrichInputError(
					`The ${stage.family} family adds column "${c.name}", but ${source.relation} (or an earlier family) already has it — rename that column or leave the family out`,
				);
			}
			available.set(c.name, c.kind);
		}
	}
	return views;
}

/**
 * Runs the families' prepare steps, then builds `target` from `source` inside the caller's transaction: each family
 * but the last writes a temp table (ANALYZEd, so the next join is planned on real row counts); the last writes
 * `target` itself. Returns the row count of `target`.
 */
export async function buildEnriched(
	client: pg.ClientBase,
	opts: { source: string; target: string; targetIsTemp: boolean; stages: EnrichStage[]; log?: (m: string) => void },
): Promise<{ rows: number; timings: StageTiming[] }> {
	const timings: StageTiming[] = [];
	let previous = opts.source;
	let rows = 0;
	for (let n = 0; n < opts.stages.length; n++) {
		const stage = opts.stages[n];
		const last = n === opts.stages.length - 1;
		const name = last ? opts.target : `pg_temp.__enrich_stage_${n}`;
		const cols = await describeRelation(client, previous);
		const started = Date.now();
		if (!last) await client.query(`DROP TABLE IF EXISTS ${qualified(name)}`);
		const created = await client.query(
			`CREATE ${last && !opts.targetIsTemp ? '' : 'TEMP '}TABLE ${last && opts.targetIsTemp ? ident(name.split('.')[1]) : qualified(name)}${
				last ? '' : ' ON COMMIT DROP'
			} AS ${stage.select(qualified(previous), cols)}`,
		);
		rows = created.rowCount ?? 0;
		if (!last) await client.query(`ANALYZE ${qualified(name)}`);
		timings.push({ family: stage.family, ms: Date.now() - started });
		opts.log?.(`${stage.family}: ${rows} rows in ${Date.now() - started} ms`);
		previous = name;
	}
	return { rows, timings };
}

export async function prepareStages(client: pg.ClientBase, source: string, stages: EnrichStage[], views: RelationColumns[]): Promise<void> {
	for (let n = 0; n < stages.length; n++) await stages[n].prepare?.(client, qualified(source), views[n]);
}
