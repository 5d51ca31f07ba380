import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../../../src/devstack/freePort';

/**
 * The monitoring stack of docs/operations.md as real child processes on loopback: postgres_exporter with the shipped
 * queries (logged in as a dwh_readonly login), Prometheus with the shipped rules, Alertmanager with the shipped
 * route tree. Debian's binaries (.ci/install.d/ops.sh); a missing one fails the test, it never skips.
 */
export const OPS_DIR = path.join(__dirname, '../../../ops');
export const BINARIES = ['prometheus', 'promtool', 'prometheus-alertmanager', 'amtool', 'prometheus-postgres-exporter'] as const;

export function requireBinary(name: (typeof BINARIES)[number]): string {
	try {
		return execFileSync('which', [name]).toString().trim();
	} catch {
		throw new Error(
			`${name} is not installed: run bash .ci/install.d/ops.sh (Debian packages prometheus, prometheus-alertmanager, prometheus-postgres-exporter)`,
		);
	}
}

export interface Webhook {
	url: string;
	/** Notifications received, per receiver (the path Alertmanager posted to). */
	received: { receiver: string; alerts: { labels: Record<string, string>; status: string }[] }[];
	close(): Promise<void>;
}

/** A loopback HTTP server standing in for PagerDuty / Slack / e-mail: it records what Alertmanager delivers. */
export async function startWebhook(): Promise<Webhook> {
	const received: Webhook['received'] = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c: Buffer) => (body += c.toString('utf8')));
		req.on('end', () => {
			const payload = JSON.parse(body) as { alerts: { labels: Record<string, string>; status: string }[] };
			received.push({ receiver: (req.url ?? '/').slice(1), alerts: payload.alerts });
			res.end('ok');
		});
	});
	const port = await freePort();
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface Stack {
	exporterUrl: string;
	prometheusUrl: string;
	alertmanagerUrl: string;
	dir: string;
	stop(): Promise<void>;
}

export interface StackOptions {
	/** The warehouse as the exporter reaches it, and the dwh_readonly login it uses. */
	db: { host: string; port: number; database: string; user: string; password: string };
	/** Where each receiver of the shipped route tree delivers (the test's webhook). */
	webhookUrl: string;
}

/**
 * The shipped Alertmanager file with its receivers pointed at the test webhook: the route tree and inhibit rules
 * (everything between `route:` and `receivers:`) are used verbatim, only group_wait is shortened so the test does
 * not wait 30 s. No notification leaves the machine.
 */
export function alertmanagerTestConfig(webhookUrl: string): string {
	const shipped = readFileSync(path.join(OPS_DIR, 'alertmanager/alertmanager.yml'), 'utf8');
	const routeAndInhibit = shipped.slice(shipped.indexOf('\nroute:') + 1, shipped.indexOf('\nreceivers:') + 1);
	const receivers = [...shipped.matchAll(/^ {2}- name: (\S+)$/gm)].map((m) => m[1]);
	return (
		routeAndInhibit.replace(/group_wait: \S+/, 'group_wait: 1s') +
		'receivers:\n' +
		receivers.map((r) => `  - name: ${r}\n    webhook_configs:\n      - url: "${webhookUrl}/${r}"\n        send_resolved: false\n`).join('')
	);
}

export async function startStack(o: StackOptions): Promise<Stack> {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'dwh-ops-stack-'));
	const children: ChildProcess[] = [];
	const run = (name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
		const log = openSync(path.join(dir, `${name}.log`), 'a');
		const child = spawn(bin, args, { stdio: ['ignore', log, log], env: { PATH: process.env.PATH, ...env } });
		children.push(child);
		return child;
	};
	const stop = async () => {
		await Promise.all(
			children.map(
				(c) =>
					new Promise<void>((resolve) => {
						if (c.exitCode !== null || c.signalCode !== null) return resolve();
						c.once('exit', () => resolve());
						c.kill('SIGTERM');
					}),
			),
		);
	};
	try {
		// The exporter as docs/operations.md runs it: password from a file, never on the command line.
		const passFile = path.join(dir, 'exporter-password');
		writeFileSync(passFile, o.db.password, { mode: 0o600 });
		const exporterPort = await freePort();
		const exporter = run(
			'postgres_exporter',
			requireBinary('prometheus-postgres-exporter'),
			[
				`--web.listen-address=127.0.0.1:${exporterPort}`,
				`--extend.query-path=${path.join(OPS_DIR, 'postgres_exporter/queries.yaml')}`,
				'--disable-settings-metrics',
				'--no-collector.bgwriter',
			],
			{
				DATA_SOURCE_URI: `${o.db.host}:${o.db.port}/${o.db.database}?sslmode=disable`,
				DATA_SOURCE_USER: o.db.user,
				DATA_SOURCE_PASS_FILE: passFile,
			},
		);
		await waitForPort(exporterPort, 30_000, () => exporter.exitCode === null);

		const amPort = await freePort();
		const amConfig = path.join(dir, 'alertmanager.yml');
		writeFileSync(amConfig, alertmanagerTestConfig(o.webhookUrl));
		const am = run('alertmanager', requireBinary('prometheus-alertmanager'), [
			`--config.file=${amConfig}`,
			`--storage.path=${path.join(dir, 'am-data')}`,
			`--web.listen-address=127.0.0.1:${amPort}`,
			'--cluster.listen-address=',
		]);
		await waitForPort(amPort, 30_000, () => am.exitCode === null);

		const promPort = await freePort();
		const promConfig = path.join(dir, 'prometheus.yml');
		writeFileSync(
			promConfig,
			JSON.stringify({
				global: { scrape_interval: '1s', evaluation_interval: '1s' },
				rule_files: [path.join(OPS_DIR, 'prometheus/rules/dwh-pipeline.rules.yml')],
				alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
				scrape_configs: [{ job_name: 'dwh_warehouse', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] }],
			}),
		);
		const prom = run('prometheus', requireBinary('prometheus'), [
			`--config.file=${promConfig}`,
			`--storage.tsdb.path=${path.join(dir, 'prom-data')}`,
			`--web.listen-address=127.0.0.1:${promPort}`,
		]);
		await waitForPort(promPort, 30_000, () => prom.exitCode === null);
		return {
			exporterUrl: `http://127.0.0.1:${exporterPort}`,
			prometheusUrl: `http://127.0.0.1:${promPort}`,
			alertmanagerUrl: `http://127.0.0.1:${amPort}`,
			dir,
			stop,
		};
	} catch (err) {
		await stop();
		throw err;
	}
}

export interface Sample {
	name: string;
	labels: Record<string, string>;
	value: number;
}

/** Prometheus text exposition format → samples (enough of it for the exporter's output: no escapes in our labels). */
export function parseMetrics(text: string): Sample[] {
	const out: Sample[] = [];
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
		if (!m) continue;
		const labels: Record<string, string> = {};
		for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
		out.push({ name: m[1], labels, value: Number(m[3]) });
	}
	return out;
}

/** Polls `probe` until it returns a value (not undefined) or the time is up; the error names what was awaited. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const v = await probe();
			if (v !== undefined) return v;
		} catch (err) {
			last = err;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
		await new Promise((r) => setTimeout(r, 500));
	}
}
