import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { openPipelineContext, type PipelineContext } from '../../../src/pipeline/context';
import { createLogin, stageLogin, type Login } from '../../harness/loginRole';
import { createWorld, type World } from '../pipeline/world';

/**
 * The pipeline world of test/integration/pipeline, driven the way production runs it: the source read through a
 * replica login (SELECT on the tables + pg_read_all_stats, docs/nodes.md) and the warehouse written through a login
 * of dwh_etl (docs/security.md). The superuser pools of the world only stage the scenario (rows lost, deleted, changed).
 */
export interface ReconcileWorld extends World {
	replica: Login;
	etl: Login;
	/** Context of the documented logins. */
	as: PipelineContext & { close(): Promise<void> };
	grantReplica(): Promise<void>;
	extractAndLoad(table: string): Promise<void>;
}

export async function createReconcileWorld(name: string): Promise<ReconcileWorld> {
	const w = await createWorld(name);
	const replica = await createLogin(w.source.database, ['pg_read_all_stats'], 'replica');
	const etl = await stageLogin(w.warehouse.database, 'dwh_etl');
	const as = openPipelineContext({
		source: postgresConnectionSchema.parse(replica.connection),
		warehouse: postgresConnectionSchema.parse(etl.connection),
		store: w.ctx.store.cfg,
		exportTimezone: 'Africa/Johannesburg',
	});
	return {
		...w,
		replica,
		etl,
		as,
		async grantReplica() {
			await w.src.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${replica.login}`);
		},
		async extractAndLoad(table: string) {
			const ex = await extractTable(as, table);
			if (ex.status !== 'uploaded') throw new Error(`extract of ${table}: ${ex.status} ${ex.message}`);
			await loadBronze(as, { table, runId: ex.runId!, csvPath: ex.csvPath! });
		},
		async close() {
			await as.close();
			await replica.drop();
			await etl.drop();
			await w.close();
		},
	};
}
