import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageAsset, packageRoot } from '../../../src/config/packageAsset';

describe('packageAsset', () => {
	it('finds the package root by its package.json name, from src/', () => {
		expect(packageRoot()).toBe(path.resolve(__dirname, '../../..'));
		expect((JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { name: string }).name).toBe('n8n-nodes-dataacuity');
	});

	it('points at the assets the package ships', () => {
		for (const asset of [
			['dwh-control-sql', 'migrations', '0200_baseline_0001_0190.sql'],
			['dwh-control-sql', 'migrations', 'squashed.json'],
			['dwh-control-sql', 'source-registry.json'],
			['policies'],
			['dbt', 'dbt_project.yml'],
		]) {
			expect(existsSync(packageAsset(...asset))).toBe(true);
		}
	});
});
