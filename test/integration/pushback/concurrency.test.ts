import pg from 'pg';
import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { adminConnection } from '../../harness/testEnv';
import { createPushWorld, uniqueName, type PushWorld } from './world';

/** Two executions pushing the same target never interleave: the advisory lock on analytics_db queues them. */
describe('concurrent pushes of one target', () => {
	let w: PushWorld;
	const target: PushTargetInput = {
		source: { kind: 'relation', schema: 'marts', table: 'agg_user' },
		target: { schema: 'concur', table: 'user_summary' },
		key: ['user_hash'],
		appRole: uniqueName('concur_app'),
	};

	beforeAll(async () => {
		w = await createPushWorld('push_concur');
		await w.wh.query(`CREATE TABLE marts.agg_user (user_hash text PRIMARY KEY, checkins_30d int)`);
		await w.wh.query(`INSERT INTO marts.agg_user SELECT 'h' || g, g FROM generate_series(1, 50) g`);
		await w.push(target);
		// Every write statement on the target takes 0.4 s, so an apply spans a measurable interval.
		const c = new pg.Client(adminConnection(w.analytics.database) as pg.ClientConfig);
		await c.connect();
		await c.query(`CREATE FUNCTION concur.slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$;
			CREATE TRIGGER slow AFTER INSERT OR UPDATE OR DELETE ON concur.user_summary FOR EACH STATEMENT EXECUTE FUNCTION concur.slow()`);
		await c.end();
	});
	afterAll(async () => w.close());

	test('the second push waits for the first to finish, then finds nothing left to do', async () => {
		await w.wh.query(`UPDATE marts.agg_user SET checkins_30d = checkins_30d * 2 WHERE checkins_30d <= 20`);
		await w.wh.query(`INSERT INTO marts.agg_user SELECT 'n' || g, g FROM generate_series(1, 5) g`);
		const [a, b] = await Promise.all([w.push(target), w.push(target)]);
		expect([a.status, b.status]).toEqual(['pushed', 'pushed']);
		const [first, second] = [a, b].sort((x, y) => x.runId! - y.runId!);
		const done = [first, second].map((r) => ({ inserted: r.inserted, updated: r.updated }));
		// One did all the work, the other saw it all as unchanged — never a mix.
		expect(done).toContainEqual({ inserted: 5, updated: 20 });
		expect(done).toContainEqual({ inserted: 0, updated: 0 });

		const { rows } = await w.wh.query(
			`SELECT push_run_id, lock_acquired_at, run_finished_at FROM dwh_control.push_runs WHERE push_run_id = ANY($1) ORDER BY lock_acquired_at`,
			[[a.runId, b.runId]],
		);
		expect(rows).toHaveLength(2);
		expect(new Date(rows[1].lock_acquired_at).getTime()).toBeGreaterThanOrEqual(new Date(rows[0].run_finished_at).getTime());
		expect((await w.an.query('SELECT count(*)::int AS n FROM concur.user_summary')).rows[0].n).toBe(55);
	});

	test('a push that cannot get the lock within lockWaitMs is recorded as skipped and changes nothing', async () => {
		await w.wh.query(`UPDATE marts.agg_user SET checkins_30d = checkins_30d + 1`);
		const slow = w.push(target);
		// Wait until the first push holds the lock (its run row exists), then try with a short wait.
		for (let i = 0; i < 100; i++) {
			const { rows } = await w.wh.query(`SELECT 1 FROM dwh_control.push_runs WHERE status = 'running' AND target_relation = 'concur.user_summary'`);
			if (rows.length) break;
			await new Promise((r) => setTimeout(r, 20));
		}
		const skipped = await w.push(target, { lockWaitMs: 100 });
		expect(skipped).toMatchObject({ status: 'skipped', inserted: 0, updated: 0 });
		expect(skipped.message).toContain('another push of concur.user_summary held the lock on analytics_db');
		expect((await slow).status).toBe('pushed');
		const run = await w.wh.query('SELECT status, skip_reason FROM dwh_control.push_runs WHERE push_run_id = $1', [skipped.runId]);
		expect(run.rows[0]).toMatchObject({ status: 'skipped', skip_reason: expect.stringContaining('held the lock') });
	});

	test('the run log admits one running push per target; a run left running by a dead worker is failed as abandoned', async () => {
		await w.wh.query(
			`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status) VALUES ('x', 'concur.user_summary', 'marts.agg_user', 'mirror', 'running')`,
		);
		await expect(
			w.wh.query(
				`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status) VALUES ('x', 'concur.user_summary', 'marts.agg_user', 'mirror', 'running')`,
			),
		).rejects.toThrow(/push_runs_one_running/);
		const r = await w.push(target);
		expect(r.status).toBe('pushed');
		const { rows } = await w.wh.query(`SELECT status, error_message FROM dwh_control.push_runs WHERE target_name = 'x'`);
		expect(rows).toEqual([{ status: 'failed', error_message: expect.stringMatching(/^abandoned/) }]);
	});
});
