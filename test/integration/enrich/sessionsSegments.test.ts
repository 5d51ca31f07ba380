import { createHash } from 'node:crypto';
import { enrichItems, enrichRelation } from '../../../src/enrich';
import { enrichWarehouse, type EnrichWarehouse } from './warehouse';

let wh: EnrichWarehouse;
beforeAll(async () => {
	wh = await enrichWarehouse('enrich_sessions');
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate`);
});
afterAll(async () => wh?.close());

const sessionId = (user: string, startUtc: string) => {
	const h = createHash('md5').update(`${user}|${startUtc}`).digest('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

describe('cross-app sessions and funnel position', () => {
	beforeAll(async () => {
		await wh.pool.query(`CREATE TABLE intermediate.app_events (id integer, user_hash text, event_time timestamp, app text, event text);
			INSERT INTO intermediate.app_events VALUES
			  (1, 'u1', '2026-05-04 10:00:00', 'tagme',   'checkin'),
			  (2, 'u1', '2026-05-04 10:30:00', 'bidbaas', 'bid'),      -- exactly 30 min later: same session
			  (3, 'u1', '2026-05-04 11:00:01', 'sdpkt',   'pay'),      -- 30 min 1 s later: new session
			  (4, 'u1', '2026-05-04 11:10:00', 'tagme',   'checkin'),
			  (5, 'u1', '2026-05-04 11:20:00', 'sdpkt',   'pay'),      -- step 3 before step 2 does not count
			  (6, 'u1', '2026-05-04 11:25:00', 'bidbaas', 'bid'),
			  (7, 'u1', '2026-05-04 11:30:00', 'sdpkt',   'pay'),
			  (8, 'u2', '2026-05-04 10:00:00', 'tagme',   'checkin'),  -- another user at the same time: own session
			  (9, 'u2', '2026-05-04 10:10:00', 'tagme',   'browse')`);
	});

	const families = {
		sessions: {
			timestampColumn: 'event_time',
			appColumn: 'app',
			eventColumn: 'event',
			funnel: {
				steps: [
					{ app: 'tagme', event: 'checkin' },
					{ app: 'bidbaas', event: 'bid' },
					{ app: 'sdpkt', event: 'pay' },
				],
			},
		},
	};

	test('a gap of exactly 30 minutes stays in the session, 30 minutes and 1 second splits it', async () => {
		await enrichRelation(wh.etl, { source: 'intermediate.app_events', target: 'intermediate.enr_app_events_sessions', families });
		const { rows } = await wh.pool.query(`SELECT id, cross_app_session_id AS s, funnel_position AS f FROM intermediate.enr_app_events_sessions ORDER BY id`);
		const first = sessionId('u1', '2026-05-04T10:00:00.000000');
		const second = sessionId('u1', '2026-05-04T11:00:01.000000');
		const other = sessionId('u2', '2026-05-04T10:00:00.000000');
		expect(rows.map((r) => [r.id, r.s, r.f])).toEqual([
			[1, first, 1],
			[2, first, 2],
			[3, second, 0],
			[4, second, 1],
			[5, second, 1],
			[6, second, 2],
			[7, second, 3],
			[8, other, 1],
			[9, other, 1],
		]);
	});

	test('re-running gives the same session ids; funnel scope user carries the position across sessions', async () => {
		await enrichRelation(wh.etl, {
			source: 'intermediate.app_events',
			target: 'intermediate.enr_app_events_sessions',
			families: { sessions: { ...families.sessions, funnel: { ...families.sessions.funnel, scope: 'user' as const } } },
		});
		const { rows } = await wh.pool.query(`SELECT id, cross_app_session_id AS s, funnel_position AS f FROM intermediate.enr_app_events_sessions ORDER BY id`);
		expect(rows[0].s).toBe(sessionId('u1', '2026-05-04T10:00:00.000000'));
		// u1 reaches step 3 with the pay event right after bidding in the first session's funnel
		expect(rows.map((r) => r.f)).toEqual([1, 2, 3, 3, 3, 3, 3, 1, 1]);
	});

	test('the same families over n8n items give the same answers (Enrich Items)', async () => {
		const items = [
			{ id: 'a', user_hash: 'u9', event_time: '2026-05-04T10:00:00Z', app: 'tagme', event: 'checkin', keep: { nested: true } },
			{ id: 'b', user_hash: 'u9', event_time: '2026-05-04T10:30:00Z', app: 'bidbaas', event: 'bid' },
			{ id: 'c', user_hash: 'u9', event_time: '2026-05-04T11:00:01Z', app: 'sdpkt', event: 'pay' },
		];
		const out = await enrichItems(wh.etl, items, { families });
		expect(out.map((o) => [o.id, o.cross_app_session_id, o.funnel_position])).toEqual([
			['a', sessionId('u9', '2026-05-04T10:00:00.000000'), 1],
			['b', sessionId('u9', '2026-05-04T10:00:00.000000'), 2],
			['c', sessionId('u9', '2026-05-04T11:00:01.000000'), 0],
		]);
		expect(out[0].keep).toEqual({ nested: true });
		await expect(enrichItems(wh.etl, [{ user_hash: 'u9', event_time: 'yesterday-ish', app: 'tagme' }], { families })).rejects.toThrow(
			/Items do not fit the configured columns \(user_hash: text, event_time: timestamptz, app: text, event: text\)/,
		);
	});
});

describe('user segments as of 2026-06-30T00:00:00Z', () => {
	const asOf = '2026-06-30T00:00:00Z';
	beforeAll(async () => {
		await wh.pool.query(`CREATE TABLE intermediate.activity (user_hash text, event_time timestamptz, app text, amount_zar numeric);
			CREATE TABLE intermediate.kyc (user_hash text, kyc_tier text);
			INSERT INTO intermediate.kyc VALUES ('new_6d', 'basic'), ('new_6d', 'verified'), ('active_7d', 'basic');
			INSERT INTO intermediate.activity VALUES
			  ('new_6d',      timestamptz '${asOf}' - interval '6 days 23 hours', 'tagme', 0),
			  ('active_7d',   timestamptz '${asOf}' - interval '7 days', 'tagme', 0),
			  ('active_90d',  timestamptz '${asOf}' - interval '90 days', 'tagme', 0),
			  ('active_90d',  timestamptz '${asOf}' - interval '1 day', 'bidbaas', 0),
			  ('engaged',     timestamptz '${asOf}' - interval '90 days 1 second', 'tagme', 0),
			  ('engaged',     timestamptz '${asOf}' - interval '29 days 23 hours', 'sdpkt', 0),
			  ('engaged',     timestamptz '${asOf}' - interval '3 days', 'bidbaas', 0),
			  ('engaged',     timestamptz '${asOf}' - interval '31 days', 'circleaether', 0),
			  ('engaged',     timestamptz '${asOf}' + interval '1 day', 'txtme', 0),
			  ('dormant_30d', timestamptz '${asOf}' - interval '200 days', 'tagme', 0),
			  ('dormant_30d', timestamptz '${asOf}' - interval '30 days', 'tagme', 0),
			  ('dormant_89d', timestamptz '${asOf}' - interval '89 days 23 hours 59 minutes', 'tagme', 0),
			  ('churned_90d', timestamptz '${asOf}' - interval '90 days', 'tagme', 0)`);
		// Ten paying users with 10..100 ZAR in the window: cume_dist 0.1..1.0
		for (let n = 1; n <= 10; n++) {
			await wh.pool.query(`INSERT INTO intermediate.activity VALUES ($1, timestamptz '${asOf}' - interval '2 days', 'sdpkt', $2)`, [
				`payer_${String(n).padStart(2, '0')}`,
				n * 10,
			]);
		}
		await wh.pool.query(
			`INSERT INTO intermediate.activity VALUES ('payer_old', timestamptz '${asOf}' - interval '40 days', 'sdpkt', 1000), ('payer_old', timestamptz '${asOf}' - interval '1 day', 'sdpkt', 0)`,
		);
		await wh.pool.query(
			`CREATE TABLE intermediate.users AS SELECT DISTINCT user_hash FROM intermediate.activity UNION ALL SELECT 'never_seen' UNION ALL SELECT NULL`,
		);
	});

	async function segments() {
		await enrichRelation(wh.etl, {
			source: 'intermediate.users',
			target: 'intermediate.enr_user_segments',
			families: {
				segments: {
					asOf,
					activityRelation: 'intermediate.activity',
					activityTimestampColumn: 'event_time',
					activityAppColumn: 'app',
					revenueColumn: 'amount_zar',
					kycRelation: 'intermediate.kyc',
				},
			},
		});
		const { rows } = await wh.pool.query(`SELECT * FROM intermediate.enr_user_segments`);
		return new Map(rows.map((r) => [r.user_hash as string | null, r]));
	}

	test('lifecycle boundaries: 7 days is active, 90 days since first is still active, 30 / 90 days of silence are dormant / churned', async () => {
		const s = await segments();
		const stage = (u: string) => s.get(u)!.lifecycle_stage;
		expect({
			new_6d: stage('new_6d'),
			active_7d: stage('active_7d'),
			active_90d: stage('active_90d'),
			engaged: stage('engaged'),
			dormant_30d: stage('dormant_30d'),
			dormant_89d: stage('dormant_89d'),
			churned_90d: stage('churned_90d'),
			never_seen: stage('never_seen'),
		}).toEqual({
			new_6d: 'new',
			active_7d: 'active',
			active_90d: 'active',
			engaged: 'engaged',
			dormant_30d: 'dormant',
			dormant_89d: 'dormant',
			churned_90d: 'churned',
			never_seen: null,
		});
	});

	test('apps in the last 30 days, KYC tier and percentile revenue bands', async () => {
		const s = await segments();
		// circleaether was 31 days ago and txtme is after asOf: neither counts
		expect(s.get('engaged')!.apps_used_30d).toEqual(['bidbaas', 'sdpkt']);
		expect(s.get('dormant_30d')!.apps_used_30d).toEqual([]);
		expect([s.get('new_6d')!.kyc_tier, s.get('active_7d')!.kyc_tier, s.get('engaged')!.kyc_tier]).toEqual(['verified', 'basic', 'no-kyc']);
		const bands = Array.from({ length: 10 }, (_, n) => s.get(`payer_${String(n + 1).padStart(2, '0')}`)!.revenue_band_zar_30d);
		expect(bands).toEqual(['low', 'low', 'low', 'low', 'low', 'mid', 'mid', 'mid', 'mid', 'high']);
		// revenue 40 days ago is outside the window
		expect(s.get('payer_old')!.revenue_band_zar_30d).toBe('none');
		expect(s.get('never_seen')!.revenue_band_zar_30d).toBe('none');
		expect(s.get(null)).toMatchObject({ kyc_tier: null, lifecycle_stage: null, apps_used_30d: null, revenue_band_zar_30d: null });
	});
});

describe('attribution chain on revenue events', () => {
	beforeAll(async () => {
		await wh.pool.query(`CREATE TABLE intermediate.pay_events (id integer, user_hash text, event_time timestamptz, app text, event text, amount numeric(12,2));
			INSERT INTO intermediate.pay_events VALUES
			  (1, 'u1', '2026-05-03 09:59:59+00', 'tagme',   'checkin', 0),      -- 24 h and 1 s before: outside
			  (2, 'u1', '2026-05-03 10:00:00+00', 'tagme',   'browse',  NULL),   -- exactly 24 h before: inside
			  (3, 'u1', '2026-05-04 09:30:00+00', 'bidbaas', 'bid',     0),
			  (4, 'u1', '2026-05-04 10:00:00+00', 'sdpkt',   'pay',     150.00), -- revenue
			  (5, 'u1', '2026-05-04 10:00:00+00', 'tagme',   'checkin', 0),      -- same instant: not prior
			  (6, 'u2', '2026-05-04 09:00:00+00', 'tagme',   'checkin', 0),      -- another user's touchpoint
			  (7, 'u2', '2026-05-04 09:05:00+00', 'sdpkt',   'pay',     20.00),  -- revenue
			  (8, 'u1', '2026-05-04 11:00:00+00', 'sdpkt',   'pay',     0)       -- no revenue: no chain`);
	});
	const families = { sessions: { timestampColumn: 'event_time', appColumn: 'app', eventColumn: 'event', attribution: { revenueColumn: 'amount' } } };

	test("a revenue event carries the same user's touchpoints of the 24 hours strictly before it, oldest first", async () => {
		await enrichRelation(wh.etl, { source: 'intermediate.pay_events', target: 'intermediate.enr_pay_events_attributed', families });
		const { rows } = await wh.pool.query(`SELECT id, attribution_chain AS chain FROM intermediate.enr_pay_events_attributed ORDER BY id`);
		expect(rows).toEqual([
			{ id: 1, chain: null },
			{ id: 2, chain: null },
			{ id: 3, chain: null },
			{
				id: 4,
				chain: [
					{ app: 'tagme', event: 'browse', at: '2026-05-03T10:00:00+00:00' },
					{ app: 'bidbaas', event: 'bid', at: '2026-05-04T09:30:00+00:00' },
				],
			},
			{ id: 5, chain: null },
			{ id: 6, chain: null },
			{ id: 7, chain: [{ app: 'tagme', event: 'checkin', at: '2026-05-04T09:00:00+00:00' }] },
			{ id: 8, chain: null },
		]);
	});

	test('Enrich Items returns the chain as JSON, and a window of 1 hour shortens it', async () => {
		const items = [
			{ id: 'a', user_hash: 'u7', event_time: '2026-05-04T07:00:00Z', app: 'tagme', event: 'checkin', amount: 0 },
			{ id: 'b', user_hash: 'u7', event_time: '2026-05-04T09:30:00Z', app: 'bidbaas', event: 'bid', amount: 0 },
			{ id: 'c', user_hash: 'u7', event_time: '2026-05-04T10:00:00Z', app: 'sdpkt', event: 'pay', amount: 99.5 },
		];
		const out = await enrichItems(wh.etl, items, {
			families: { sessions: { ...families.sessions, attribution: { revenueColumn: 'amount', windowHours: 1 } } },
		});
		expect(out.map((o) => [o.id, o.attribution_chain])).toEqual([
			['a', null],
			['b', null],
			['c', [{ app: 'bidbaas', event: 'bid', at: '2026-05-04T09:30:00+00:00' }]],
		]);
	});
});
