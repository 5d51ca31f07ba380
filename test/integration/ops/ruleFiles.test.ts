import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPS_DIR, requireBinary } from './monitoringStack';

/** The shipped rule, scrape and routing files, checked by the tools of the versions Debian ships (issue 15). */
const run = (bin: string, args: string[], cwd = OPS_DIR) => {
	try {
		return { code: 0, out: execFileSync(requireBinary(bin as never), args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
	} catch (err) {
		const e = err as { status: number; stdout: string; stderr: string };
		return { code: e.status, out: `${e.stdout}${e.stderr}` };
	}
};

test('promtool: the rules are valid and their unit tests pass (each alert fires on its data with its severity, quiet on healthy data)', () => {
	expect(run('promtool', ['check', 'rules', 'prometheus/rules/dwh-pipeline.rules.yml'])).toMatchObject({
		code: 0,
		out: expect.stringContaining('SUCCESS: 27 rules found'),
	});
	const tests = run('promtool', ['test', 'rules', 'prometheus/tests/dwh-pipeline.test.yml']);
	expect(tests.out).toContain('SUCCESS');
	expect(tests.code).toBe(0);
});

test('every alert has a P1/P2 severity, an area and a runbook entry in docs/operations.md; every unit test names a real alert', () => {
	const rules = readFileSync(path.join(OPS_DIR, 'prometheus/rules/dwh-pipeline.rules.yml'), 'utf8');
	const docs = readFileSync(path.join(OPS_DIR, '../docs/operations.md'), 'utf8');
	const alerts = [...rules.matchAll(/- alert: (\w+)\n\s+(?:#.*\n\s+)?expr: .*\n(?:\s+for: .*\n)?\s+labels: \{severity: (P1|P2), area: (\w+)\}/g)].map(
		(m) => m[1],
	);
	expect(alerts).toHaveLength([...rules.matchAll(/- alert: /g)].length);
	for (const a of alerts) {
		expect([a, rules.includes(`runbook_url: "docs/operations.md#${a.toLowerCase()}"`)]).toEqual([a, true]);
		expect([a, new RegExp(`^#### ${a}$`, 'm').test(docs)]).toEqual([a, true]);
	}
	const tested = new Set(
		[...readFileSync(path.join(OPS_DIR, 'prometheus/tests/dwh-pipeline.test.yml'), 'utf8').matchAll(/"alertname": "(\w+)"/g)].map((m) => m[1]),
	);
	expect([...tested].sort()).toEqual([...alerts].sort());
});

test('promtool: the example Prometheus configuration (scrape jobs the rules match, the rule file) is valid', () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'dwh-prom-check-'));
	mkdirSync(path.join(dir, 'rules'));
	copyFileSync(path.join(OPS_DIR, 'prometheus/rules/dwh-pipeline.rules.yml'), path.join(dir, 'rules/dwh-pipeline.rules.yml'));
	const cfg = readFileSync(path.join(OPS_DIR, 'prometheus/prometheus.yml'), 'utf8');
	expect(cfg).toContain('/etc/prometheus/rules/dwh-pipeline.rules.yml');
	expect(cfg).toContain('job_name: dwh_warehouse\n');
	expect(cfg).toContain('job_name: dwh_warehouse_host\n');
	writeFileSync(path.join(dir, 'prometheus.yml'), cfg.replaceAll('/etc/prometheus/rules/', 'rules/'));
	expect(run('promtool', ['check', 'config', 'prometheus.yml'], dir)).toMatchObject({
		code: 0,
		out: expect.stringContaining('is valid prometheus config file syntax'),
	});
});

test('amtool: the Alertmanager example is valid, holds no secret inline, and routes P1 to the pager and P2 to tickets', () => {
	expect(run('amtool', ['check-config', 'alertmanager/alertmanager.yml'])).toMatchObject({ code: 0, out: expect.stringContaining('SUCCESS') });
	const routes = (labels: string[]) =>
		run('amtool', ['config', 'routes', 'test', '--config.file=alertmanager/alertmanager.yml', ...labels])
			.out.trim()
			.split('\n')[0];
	expect(routes(['severity=P1', 'alertname=DwhExtractStale'])).toBe('pager');
	expect(routes(['severity=P2', 'alertname=DwhKAnonymityWarning'])).toBe('tickets');
	const am = readFileSync(path.join(OPS_DIR, 'alertmanager/alertmanager.yml'), 'utf8');
	expect(am).not.toMatch(/^\s*(routing_key|service_key|api_url|auth_password|smtp_auth_password):/m);
	expect(am).toMatch(/routing_key_file: /);
	expect(am).toMatch(/api_url_file: /);
});
