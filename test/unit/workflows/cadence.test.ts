import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCadence, withCadence, type ScheduleWorkflow } from '../../../src/workflows/cadence';

const read = (f: string) => JSON.parse(readFileSync(path.join(__dirname, '../../../workflows', f), 'utf8')) as ScheduleWorkflow;
const rules = (w: ScheduleWorkflow) =>
	w.nodes.filter((n) => n.type === 'n8n-nodes-base.scheduleTrigger').map((n) => (n.parameters.rule as { interval: unknown[] }).interval);

test('parses seconds and minutes, and refuses anything else naming the accepted forms', () => {
	expect([parseCadence('20s'), parseCadence('2m'), parseCadence('5 minutes'), parseCadence('90 seconds')]).toEqual([20, 120, 300, 90]);
	for (const bad of ['0s', '2h', 'soon', '61m', '1.5m'])
		expect(() => parseCadence(bad)).toThrow(`cadence "${bad}" is not a whole number of seconds or minutes from 1s to 60m: write it like 30s or 5m`);
});

test('the chain runs every 20 seconds or every 2 minutes; the file itself is not changed', () => {
	const chain = read('dwh-load-transform-push.json');
	expect(rules(chain)).toEqual([[{ field: 'minutes', minutesInterval: 5 }]]);
	expect(rules(withCadence(chain, 20))).toEqual([[{ field: 'seconds', secondsInterval: 20 }]]);
	expect(rules(withCadence(chain, 120))).toEqual([[{ field: 'minutes', minutesInterval: 2 }]]);
	expect(rules(chain)).toEqual([[{ field: 'minutes', minutesInterval: 5 }]]);
});

test('clock-time schedules keep their time; a workflow with only those is refused by name', () => {
	const dbt = read('dwh-dbt-transform-schedule.json');
	expect(rules(withCadence(dbt, 60))).toEqual([
		[{ field: 'minutes', minutesInterval: 1 }],
		[{ field: 'hours', hoursInterval: 1, triggerAtMinute: 5 }],
		[{ field: 'days', daysInterval: 1, triggerAtHour: 5 }],
	]);
	expect(() => withCadence(read('dwh-pushback-hourly.json'), 60, 'dwh-pushback-hourly.json')).toThrow(
		'dwh-pushback-hourly.json has no Schedule Trigger that repeats by minutes or seconds: its cadence is a clock time, not an interval',
	);
});
