import type pg from 'pg';
import { withTransaction } from '../transport/transaction';
import { publishTable } from '../transport/publishTable';
import { enrichRelationSchema, type EnrichRelationInput } from './config.schema';
import { parseConfig } from './parseConfig';
import { describeRelation, qualified } from './relation';
import type { FetchLike } from '../transport/fetchLike';
import { buildEnriched, checkColumns, prepareStages, stagesFor, type StageTiming } from './stages';

export interface EnrichRelationReport {
	source: string;
	target: string;
	rows: number;
	families: string[];
	columnsAdded: string[];
	stages: StageTiming[];
	durationMs: number;
}

/**
 * Enrich Relation: reads `source` (an intermediate.* relation) and writes `target` (intermediate.enr_<name>, the only
 * place the config schema lets it write; the migration baseline creates the schema) as a new table with the chosen
 * families' columns added. The table is built under a side name and swapped in at commit, so readers of the old
 * target see it until the new one is complete, and a failure leaves the old one untouched. Views on the target are
 * recreated on the new table (publishTable).
 */
export async function enrichRelation(
	pool: pg.Pool,
	input: EnrichRelationInput,
	log?: (m: string) => void,
	fetchImpl?: FetchLike,
): Promise<EnrichRelationReport> {
	const cfg = parseConfig(enrichRelationSchema, input, 'Enrich Relation config');
	const started = Date.now();
	const stages = stagesFor(cfg.families, fetchImpl);
	const client = await pool.connect();
	try {
		const source = await describeRelation(client, cfg.source);
		const views = checkColumns(source, stages);
		await prepareStages(client, cfg.source, stages, views);
	} finally {
		client.release();
	}
	const [schema, table] = cfg.target.split('.');
	const buildingTable = `${table}__enriching`.slice(0, 63);
	const building = `${schema}.${buildingTable}`;
	const { rows, timings } = await withTransaction(pool, async (tx) => {
		await tx.query(`SET LOCAL work_mem = '${cfg.workMem}'`);
		await tx.query(`DROP TABLE IF EXISTS ${qualified(building)}`);
		const built = await buildEnriched(tx, { source: cfg.source, target: building, targetIsTemp: false, stages, log });
		await publishTable(tx, schema, buildingTable, table);
		await tx.query(`ANALYZE ${qualified(cfg.target)}`);
		return built;
	});
	return {
		source: cfg.source,
		target: cfg.target,
		rows,
		families: stages.map((s) => s.family),
		columnsAdded: stages.flatMap((s) => s.columns.map((c) => c.name)),
		stages: timings,
		durationMs: Date.now() - started,
	};
}
