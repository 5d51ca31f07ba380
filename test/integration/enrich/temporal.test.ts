import { enrichRelation, loadHolidays } from '../../../src/enrich';
import { enrichWarehouse, type EnrichWarehouse } from './warehouse';

let wh: EnrichWarehouse;

beforeAll(async () => {
	wh = await enrichWarehouse('enrich_temporal');
	await loadHolidays(wh.etl, { countries: ['ZA'], fromYear: 2026, toYear: 2026 });
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
		CREATE TABLE intermediate.events (id integer, event_time timestamptz, tz text, lat double precision)`);
});
afterAll(async () => wh?.close());

async function enrich(rows: Array<[number, string, string | null, number | null]>) {
	await wh.pool.query('TRUNCATE intermediate.events');
	for (const r of rows) await wh.pool.query('INSERT INTO intermediate.events VALUES ($1, $2, $3, $4)', r);
	await enrichRelation(wh.etl, {
		source: 'intermediate.events',
		target: 'intermediate.enr_events_temporal',
		families: { temporal: { timestampColumn: 'event_time', timeZoneColumn: 'tz', latitudeColumn: 'lat' } },
	});
	const { rows: out } = await wh.pool.query(`SELECT * FROM intermediate.enr_events_temporal ORDER BY id`);
	return new Map(out.map((r) => [r.id as number, r]));
}

test('ZA public holidays: Good Friday, a Sunday holiday and its Monday substitute, in the row’s local time', async () => {
	const out = await enrich([
		[1, '2026-04-03T10:00:00+02:00', null, -26.2], // Good Friday
		[2, '2026-08-09T09:00:00+02:00', null, -26.2], // National Women's Day, a Sunday
		[3, '2026-08-10T09:00:00+02:00', null, -26.2], // observed on Monday
		[4, '2026-08-11T09:00:00+02:00', null, -26.2], // ordinary Tuesday
		[5, '2026-04-02T22:30:00Z', null, -26.2], // 00:30 on Good Friday in Johannesburg
		[6, '2026-04-02T22:30:00Z', 'UTC', -26.2], // same instant, still Thursday in UTC
	]);
	const pick = (id: number) => {
		const r = out.get(id)!;
		return [r.day_of_week, r.hour_of_day, r.is_weekend, r.is_public_holiday];
	};
	expect(pick(1)).toEqual(['Fri', 10, false, true]);
	expect(pick(2)).toEqual(['Sun', 9, true, true]);
	expect(pick(3)).toEqual(['Mon', 9, false, true]);
	expect(pick(4)).toEqual(['Tue', 9, false, false]);
	expect(pick(5)).toEqual(['Fri', 0, false, true]);
	expect(pick(6)).toEqual(['Thu', 22, false, false]);

	const { rows } = await wh.pool.query(
		`SELECT holiday_date, name, is_substitute FROM marts.dim_holidays WHERE country_code = 'ZA' AND holiday_date IN ('2026-04-03', '2026-08-10') ORDER BY holiday_date`,
	);
	expect(rows).toEqual([
		{ holiday_date: '2026-04-03', name: 'Good Friday', is_substitute: false },
		{ holiday_date: '2026-08-10', name: 'Public Holiday', is_substitute: true },
	]);
});

test('loading holidays again replaces the year instead of duplicating it', async () => {
	const again = await loadHolidays(wh.etl, { countries: ['ZA'], fromYear: 2026, toYear: 2026 });
	expect(again.publicHolidays).toBe(13);
	const { rows } = await wh.pool.query(`SELECT count(*)::int AS n FROM marts.dim_holidays WHERE country_code = 'ZA' AND holiday_type = 'public'`);
	expect(rows[0].n).toBe(13);
});

test('payday week is the last 7 days of the month plus the first 5 of the next', async () => {
	const days = [
		'2026-01-24',
		'2026-01-25',
		'2026-01-31',
		'2026-02-01',
		'2026-02-05',
		'2026-02-06',
		'2026-02-21',
		'2026-02-22',
		'2026-02-28',
		'2026-03-05',
		'2026-03-06',
		'2026-04-23',
		'2026-04-24',
	];
	const out = await enrich(days.map((d, n) => [n, `${d}T12:00:00+02:00`, null, -26.2]));
	const payday = days.filter((_, n) => out.get(n)!.is_payday_week);
	expect(payday).toEqual(['2026-01-25', '2026-01-31', '2026-02-01', '2026-02-05', '2026-02-22', '2026-02-28', '2026-03-05', '2026-04-24']);
});

test('seasons follow the row’s hemisphere, south by default', async () => {
	const out = await enrich([
		[1, '2026-01-15T12:00:00Z', null, -26.2],
		[2, '2026-01-15T12:00:00Z', 'Europe/London', 51.5],
		[3, '2026-07-15T12:00:00Z', null, -33.9],
		[4, '2026-07-15T12:00:00Z', null, 40.7],
		[5, '2026-04-15T12:00:00Z', null, -29.9],
		[6, '2026-04-15T12:00:00Z', null, 48.9],
		[7, '2026-10-15T12:00:00Z', null, -26.2],
		[8, '2026-10-15T12:00:00Z', null, 0],
		[9, '2026-12-01T12:00:00Z', null, null],
		[10, '2026-02-28T21:59:59Z', null, -26.2], // 23:59:59 local, still summer
		[11, '2026-02-28T22:00:00Z', null, -26.2], // 00:00 on 1 March local: autumn
	]);
	const season = (id: number) => out.get(id)!.season;
	expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(season)).toEqual([
		'summer',
		'winter',
		'winter',
		'summer',
		'autumn',
		'spring',
		'spring',
		'autumn',
		'summer',
		'summer',
		'autumn',
	]);
});

test('a missing column is reported with the config field that named it', async () => {
	await expect(
		enrichRelation(wh.etl, { source: 'intermediate.events', target: 'intermediate.enr_x', families: { temporal: { timestampColumn: 'created_at' } } }),
	).rejects.toThrow('temporal.timestampColumn: column "created_at" is not in intermediate.events (it has: id, event_time, tz, lat)');
	await expect(
		enrichRelation(wh.etl, { source: 'intermediate.nope', target: 'intermediate.enr_x', families: { temporal: { timestampColumn: 'event_time' } } }),
	).rejects.toThrow('Relation intermediate.nope does not exist');
	await expect(
		enrichRelation(wh.etl, {
			source: 'intermediate.events',
			target: 'intermediate.enr_x',
			families: { temporal: { timestampColumn: 'event_time', timeZone: 'Mars/Olympus' } },
		}),
	).rejects.toThrow('families.temporal.timeZone: temporal.timeZone must be an IANA time zone such as Africa/Johannesburg');
});
