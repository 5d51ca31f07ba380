/**
 * `npx tsx bench/chain-latency.bench.ts [--rounds 8] [--runtimes n8n1,n8n2] [--cadence 20]`
 *
 * Source-commit-to-analytics_db latency of the chain in real n8n: runs test/e2e/chain.test.ts (an empty warehouse, the
 * shipped chain and its sub-workflows imported and activated at `--cadence` seconds, the tables' registry cadence the
 * same) with `--rounds` rounds of app writes per runtime. Each round measures two numbers: observed (the test's
 * clock from the apps' commit until shared.user_lifecycle in analytics_db shows the change) and recorded (the
 * upper bound dwh_control.v_source_to_analytics_latency holds for the push that delivered it). Prints p50/p95/max.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Round {
	runtime: string;
	round: number;
	cadenceS: number;
	observedS: number;
	recordedS: number;
}

const ROOT = path.resolve(__dirname, '..');
const RESULTS = path.join(ROOT, 'test-artifacts/e2e/chain-latency.jsonl');

function percentile(xs: number[], p: number): number {
	const s = [...xs].sort((a, b) => a - b);
	// Nearest rank: the smallest value with at least p of the samples at or below it.
	return s[Math.max(0, Math.ceil(p * s.length) - 1)];
}

function main(): number {
	const { values } = parseArgs({
		options: { rounds: { type: 'string', default: '8' }, runtimes: { type: 'string', default: 'n8n1,n8n2' }, cadence: { type: 'string', default: '20' } },
	});
	rmSync(RESULTS, { force: true });
	const env = { ...process.env, DWH_CHAIN_ROUNDS: values.rounds, DWH_CHAIN_RUNTIMES: values.runtimes, DWH_CHAIN_CADENCE_S: values.cadence };
	const jest = spawnSync('npx', ['jest', 'test/e2e/chain.test.ts', '--selectProjects', 'e2e', '--runInBand'], { cwd: ROOT, env, stdio: 'inherit' });
	if (!existsSync(RESULTS)) {
		console.error('no rounds were measured (see the jest output above)');
		return 1;
	}
	const rounds = readFileSync(RESULTS, 'utf8')
		.trim()
		.split('\n')
		.map((l) => JSON.parse(l) as Round);
	console.log(`\nchain latency, ${values.rounds} round(s) per runtime, cadence ${values.cadence} s (schedule and registry)`);
	console.log('runtime  rounds  observed p50 / p95 / max (s)   recorded bound p50 / p95 / max (s)');
	for (const rt of [...new Set(rounds.map((r) => r.runtime))]) {
		const mine = rounds.filter((r) => r.runtime === rt);
		const f = (xs: number[]) => [percentile(xs, 0.5), percentile(xs, 0.95), Math.max(...xs)].map((x) => x.toFixed(0).padStart(4)).join(' / ');
		console.log(`${rt.padEnd(8)} ${String(mine.length).padStart(6)}  ${f(mine.map((r) => r.observedS)).padEnd(30)} ${f(mine.map((r) => r.recordedS))}`);
	}
	return jest.status ?? 1;
}

process.exit(main());
