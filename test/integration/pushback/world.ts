import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../../../src/config/connection.schema';
import { pushTarget, type PushOptions } from '../../../src/pushback/pushTarget';
import type { PushResult, PushTargetInput } from '../../../src/pushback/target.schema';
import { createPool } from '../../../src/transport/postgres';
import { createLogin, stageLogin } from '../../harness/loginRole';
import { migratedWarehouse } from '../../harness/migratedWarehouse';
import { freshDatabase } from '../../harness/testEnv';

/**
 * Two real databases per test file, as in production: the warehouse (migrated, with marts fixtures the test
 * creates) and the apps' analytics_db. Pools are opened the way the node opens them (createPool), so
 * application_name tells the push's analytics session apart in pg_stat_activity.
 */
export interface PushWorld {
	/** The warehouse as the Push Back node sees it: its documented login, a member of dwh_pushback (reads marts.* only). */
	warehouse: PostgresConnection;
	analytics: PostgresConnection;
	/** The warehouse as its DBA: builds fixtures (and, for the dbt contract test, runs dbt until dbt has its own login here). */
	admin: PostgresConnection;
	/** Superuser pool that builds fixtures and checks results. */
	wh: pg.Pool;
	an: pg.Pool;
	push(target: PushTargetInput, opts?: PushOptions): Promise<PushResult>;
	/** Target rows ordered by the given columns, as plain objects. */
	rows(relation: string, orderBy: string): Promise<Record<string, unknown>[]>;
	close(): Promise<void>;
}

export async function createPushWorld(name: string): Promise<PushWorld> {
	const { connection: admin, pool: wh } = await migratedWarehouse(`${name}_wh`, (c) => createPool(c, { role: 'warehouse' }));
	const analytics = postgresConnectionSchema.parse({ ...(await freshDatabase(`${name}_an`)), applicationName: 'dwh-test' });
	const an = createPool(analytics, { role: 'pushback' });
	const pushLogin = await stageLogin(admin.database, 'dwh_pushback');
	const warehouse = postgresConnectionSchema.parse(pushLogin.connection);
	const whPush = createPool(warehouse, { role: 'warehouse' });
	return {
		warehouse,
		analytics,
		admin,
		wh,
		an,
		push: (target, opts) => pushTarget({ warehouse: whPush, analytics: an }, target, opts),
		async rows(relation, orderBy) {
			const { rows } = await an.query(`SELECT * FROM ${relation} ORDER BY ${orderBy}`);
			return rows;
		},
		async close() {
			await Promise.all([whPush.end(), an.end()]);
			await pushLogin.drop();
			await wh.end();
		},
	};
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}`;

/** The app's login (member of the app role), as a DBA would set it up; a pool connected as it to analytics_db. */
export async function appLogin(world: PushWorld, appRole: string): Promise<{ pool: pg.Pool; login: string; drop(): Promise<void> }> {
	return createLogin(world.analytics.database, [appRole], 'app_login');
}
