import { readFileSync } from 'node:fs';
import path from 'node:path';
import { enrichRelationSchema } from '../../../src/enrich/config.schema';
import { CROSS_APP_FUNNEL, martInputs } from '../../../src/enrich/martInputs';

const dbt = (file: string) => readFileSync(path.join(__dirname, '../../../dbt', file), 'utf8');

test('every mart input is a valid Enrich Relation config writing its own intermediate.enr_* target', () => {
	for (const m of martInputs({ asOf: '2026-06-30T22:00:00Z' })) {
		const cfg = enrichRelationSchema.parse(m.config);
		expect(cfg.target).toBe(m.target);
		expect(m.target).toMatch(/^intermediate\.enr_/);
	}
});

test('the dbt project reads every mart input as a source, and names the same cross-app funnel', () => {
	const sources = dbt('models/marts/_intermediate_sources.yml');
	// Under the relation's own name: the chain selects `source:<target>+` for each mart input Enrich built (docs/chain.md).
	for (const m of martInputs()) {
		const table = m.target.replace('intermediate.', '');
		expect(sources).toContain(`- name: ${table}\n        identifier: ${table}\n`);
	}
	const project = dbt('dbt_project.yml');
	expect(project).toContain(`cross_app_funnel: {id: ${CROSS_APP_FUNNEL.id}, steps: ${CROSS_APP_FUNNEL.steps.length}}`);
	expect(CROSS_APP_FUNNEL.id).toBe(CROSS_APP_FUNNEL.steps.map((s) => `${s.app}_${s.event}`).join('_'));
});
