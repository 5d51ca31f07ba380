/**
 * The cadence of the shipped "every N minutes" workflows (the chain, extract/load, anonymise) is a deployment
 * choice, not part of the graph: this rewrites the interval of each Schedule Trigger that repeats by minutes or
 * seconds and leaves the clock-time ones (hourly at :15, nightly, weekly) alone, so one file serves a 5-minute
 * production cadence and the seconds the e2e test and the latency bench run at.
 */
export interface ScheduleWorkflow {
	nodes: Array<{ type: string; name: string; parameters: Record<string, unknown> }>;
	[k: string]: unknown;
}

interface IntervalRule {
	field?: string;
	minutesInterval?: number;
	secondsInterval?: number;
	[k: string]: unknown;
}

const SCHEDULE = 'n8n-nodes-base.scheduleTrigger';

/** "30s", "2m", "5 minutes" → seconds; a clear error naming the value and the accepted forms otherwise. */
export function parseCadence(text: string): number {
	const m = /^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?)\s*$/i.exec(text);
	const n = m ? Number(m[1]) * (m[2].toLowerCase().startsWith('s') ? 1 : 60) : NaN;
	if (!Number.isInteger(n) || n < 1 || n > 3600) {
		throw new Error(`cadence "${text}" is not a whole number of seconds or minutes from 1s to 60m: write it like 30s or 5m`);
	}
	return n;
}

/** A copy of `workflow` whose repeating Schedule Triggers fire every `seconds`; names the workflow if it has none. */
export function withCadence<W extends ScheduleWorkflow>(workflow: W, seconds: number, label = 'workflow'): W {
	if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) throw new Error(`cadence must be 1 to 3600 seconds, got ${seconds}`);
	const copy = JSON.parse(JSON.stringify(workflow)) as W;
	let changed = 0;
	for (const node of copy.nodes) {
		if (node.type !== SCHEDULE) continue;
		const rule = node.parameters.rule as { interval?: IntervalRule[] } | undefined;
		for (const [i, r] of (rule?.interval ?? []).entries()) {
			if (r.field !== 'minutes' && r.field !== 'seconds') continue;
			rule!.interval![i] = seconds % 60 === 0 ? { field: 'minutes', minutesInterval: seconds / 60 } : { field: 'seconds', secondsInterval: seconds };
			changed++;
		}
	}
	if (changed === 0) throw new Error(`${label} has no Schedule Trigger that repeats by minutes or seconds: its cadence is a clock time, not an interval`);
	return copy;
}
