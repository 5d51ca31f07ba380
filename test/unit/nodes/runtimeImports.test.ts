import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * What the installed package can require: Node's own modules, its dependencies, the n8n-workflow n8n provides, and
 * the AWS SDK only through src/transport/awsS3.ts (bundled by the build; the SDK itself is a devDependency). A
 * direct import of anything else from the shipped code would fail in ~/.n8n/nodes, not in this checkout.
 */
const ROOT = path.join(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const SHIPPED = ['src', 'nodes', 'credentials'];
const NOT_SHIPPED = [path.join('src', 'devstack')];
const BUNDLED = path.join('src', 'transport', 'awsS3.ts');

function tsFiles(dir: string): string[] {
	return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
		const rel = path.join(dir, e.name);
		if (e.isDirectory()) return NOT_SHIPPED.includes(rel) ? [] : tsFiles(rel);
		return e.name.endsWith('.ts') ? [rel] : [];
	});
}

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

test('the shipped code imports only what the installed package has', () => {
	const allowed = new Set([...Object.keys(pkg.dependencies), 'n8n-workflow', ...builtinModules]);
	const offending: string[] = [];
	for (const file of SHIPPED.flatMap(tsFiles)) {
		if (file === BUNDLED) continue;
		const text = readFileSync(path.join(ROOT, file), 'utf8');
		for (const m of text.matchAll(/(?:\bfrom\s+|^import\s+|\b(?:require|import)\(\s*)'([^'.][^']*)'/gm)) {
			const spec = m[1].replace(/^node:/, '');
			if (!allowed.has(packageOf(spec)) && !allowed.has(spec)) offending.push(`${file}: ${m[1]}`);
		}
	}
	expect(offending).toEqual([]);
});
