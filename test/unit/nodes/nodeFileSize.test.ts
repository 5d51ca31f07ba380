import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// Issue 16: a node file that grows past 200 lines is doing more than one thing; split it (router + one file per
// operation, descriptions apart from execution) instead of raising the limit.
const ROOT = join(__dirname, '../../..');
const LIMIT = 200;

function tsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return tsFiles(path);
		return path.endsWith('.ts') ? [path] : [];
	});
}

test('no file under nodes/ or credentials/ is over 200 lines', () => {
	const files = [...tsFiles(join(ROOT, 'nodes')), ...tsFiles(join(ROOT, 'credentials'))];
	expect(files.length).toBeGreaterThan(30);
	const over = files.map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 })).filter((f) => f.lines > LIMIT);
	expect(over).toEqual([]);
});
