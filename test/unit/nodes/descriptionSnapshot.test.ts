import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ICredentialType, INodeType } from 'n8n-workflow';

/**
 * The editor shows what the node and credential classes describe: labels, help texts, placeholders, option lists,
 * display rules. Factories in nodes/shared and credentials/ build much of that, so a change to one of them changes
 * several nodes at once; descriptionSnapshot.json is every resolved description exactly as the editor receives it
 * (key order included), so such a change shows up as a diff. parameterContract.test.ts guards what saved workflows
 * depend on; this guards what users read. After a deliberate change, regenerate and review the diff:
 *   UPDATE_DESCRIPTION_SNAPSHOT=1 npx jest test/unit/nodes/descriptionSnapshot --selectProjects unit
 */
const root = path.join(__dirname, '../../..');
const snapshotFile = path.join(__dirname, 'descriptionSnapshot.json');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };

/** The class a package.json entry (dist/…/X.node.js) names, loaded from its TypeScript source. */
function instantiate<T>(distPath: string): [string, T] {
	const source = path.join(root, distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	const name = path.basename(source).split('.')[0];
	const Class = (require(source) as Record<string, new () => T>)[name];
	return [name, new Class()];
}

function describedPack(): string {
	const nodes = Object.fromEntries(pkg.n8n.nodes.map((p) => instantiate<INodeType>(p)).map(([name, n]) => [name, n.description]));
	const credentials = Object.fromEntries(pkg.n8n.credentials.map((p) => instantiate<ICredentialType>(p)).map(([name, c]) => [name, { ...c }]));
	return `${JSON.stringify({ nodes, credentials }, null, '\t')}\n`;
}

test('node and credential descriptions are what the editor showed when the snapshot was taken', () => {
	const actual = describedPack();
	if (process.env.UPDATE_DESCRIPTION_SNAPSHOT) writeFileSync(snapshotFile, actual);
	// Compared as text: a changed label, an added key or a reordered option list all count.
	expect(actual).toBe(readFileSync(snapshotFile, 'utf8'));
});
