import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The shipped Grafana dashboards against Grafana's published schema: the Dashboard type of @grafana/schema (generated
 * by Grafana from its CUE schema). Each dashboard JSON is type-checked as an object literal that must satisfy that
 * type, so an unknown or misspelt field, a wrong value type or an enum value Grafana does not know fails. JSON
 * cannot spell a TypeScript enum, so enum-typed fields accept their string values (`${Enum}`) and nothing else.
 */
const ROOT = path.resolve(__dirname, '../../..');
const DASHBOARDS = path.join(ROOT, 'ops/grafana/dashboards');
const SCRATCH = path.join(ROOT, '.cache/grafana-schema-check');

function schemaErrors(name: string, json: string): string[] {
	mkdirSync(SCRATCH, { recursive: true });
	const file = path.join(SCRATCH, `${name.replace(/[^a-z0-9-]/gi, '_')}.ts`);
	writeFileSync(
		file,
		`import type { Dashboard } from '@grafana/schema';\n` +
			'type Json<T> = T extends string ? T | `${T}` : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;\n' +
			`export const dashboard = (${json}) satisfies Json<Dashboard>;\n`,
	);
	const program = ts.createProgram([file], {
		strict: true,
		noEmit: true,
		skipLibCheck: true,
		target: ts.ScriptTarget.ES2022,
		module: ts.ModuleKind.CommonJS,
		moduleResolution: ts.ModuleResolutionKind.Node10,
	});
	return ts.getPreEmitDiagnostics(program).map((d) => {
		const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
		return `line ${where - 2}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
	});
}

const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));

describe("shipped dashboards satisfy Grafana's published Dashboard schema (@grafana/schema)", () => {
	test('there is at least the BI Pipeline Health dashboard', () => {
		expect(files).toContain('bi-pipeline-health.json');
	});

	test.each(files)(
		'%s',
		(file) => {
			expect(schemaErrors(file, readFileSync(path.join(DASHBOARDS, file), 'utf8'))).toEqual([]);
		},
		60_000,
	);

	test('the check fails on an unknown field, and on an enum value Grafana does not have', () => {
		const d = JSON.parse(readFileSync(path.join(DASHBOARDS, 'bi-pipeline-health.json'), 'utf8')) as {
			panels: Array<Record<string, unknown>>;
			[k: string]: unknown;
		};
		expect(schemaErrors('unknown-field', JSON.stringify({ ...d, refreshEvery: '1m' })).join('\n')).toMatch(/refreshEvery/);
		const badEnum = {
			...d,
			panels: d.panels.map((p, i) => (i === 0 ? { ...p, fieldConfig: { defaults: { thresholds: { mode: 'absolutely', steps: [] } }, overrides: [] } } : p)),
		};
		expect(schemaErrors('bad-enum', JSON.stringify(badEnum)).join('\n')).toMatch(/Type '"absolutely"' is not assignable to type 'ThresholdsMode/);
	}, 60_000);
});
