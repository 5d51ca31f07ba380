import path from 'node:path';
import type { ICredentialType, INodeProperties, INodeType } from 'n8n-workflow';

/**
 * n8n's lint rules (eslint-plugin-n8n-nodes-base, `npm run lint`) recognise a parameter by the literal keys of its
 * object (displayName, name, type, default) and so do not see parameters built by the factories in
 * nodes/shared/parameters.ts, operationProperty, optionsCollection or sslProperties. This test prints every node's
 * and credential's resolved properties as object literals and runs the same rules, with the same config, over them.
 */
const root = path.join(__dirname, '../../..');
/** The part of ESLint 8's Linter used here (the package ships no types). */
type Linter = { verify(code: string, config: unknown, filename: string): Array<{ ruleId: string | null; message: string }> };
const { Linter } = require('eslint') as { Linter: new (options: { configType: 'flat' }) => Linter };
// The package's own flat config: its entries for nodes/ and credentials/ pick the rules by the file name given.
const config = require(path.join(root, 'eslint.config.js')) as unknown;
const pkg = require(path.join(root, 'package.json')) as { n8n: { nodes: string[]; credentials: string[] } };

function instantiate<T>(distPath: string): [string, T] {
	const source = path.join(root, distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	const name = path.basename(source).split('.')[0];
	return [name, new (require(source) as Record<string, new () => T>)[name]()];
}

/** The properties as TypeScript source whose objects have the identifier keys the rules look for. */
const asSource = (properties: INodeProperties[]) =>
	`export const properties = ${JSON.stringify(properties, null, '\t').replace(/^(\t*)"([A-Za-z_$][\w$]*)": /gm, '$1$2: ')};\n`;

function reports(file: string, properties: INodeProperties[]): string[] {
	return new Linter({ configType: 'flat' }).verify(asSource(properties), config, path.join(root, file)).map((m) => `${m.ruleId}: ${m.message}`);
}

/**
 * What the rules report on purpose, by node: each is a decision, not an oversight. Push Target's Mode says what
 * Upsert changes instead of n8n's generic wording (see customTarget.description.ts); Ready-Made Target lists the
 * registry's targets in registry order, empty until one is chosen, with the registry's descriptions
 * (src/pushback/readyTargets.ts).
 */
const ACCEPTED: Record<string, string[]> = {
	PushBack: [
		'n8n-nodes-base/node-param-default-wrong-for-options',
		'n8n-nodes-base/node-param-description-wrong-for-upsert',
		'n8n-nodes-base/node-param-option-name-wrong-for-upsert',
		'n8n-nodes-base/node-param-options-type-unsorted-items',
	],
};

test.each(pkg.n8n.nodes)('%s: its resolved parameters pass n8n’s node lint rules', (distPath) => {
	const [name, node] = instantiate<INodeType>(distPath);
	const found = reports(`nodes/${name}/${name}.node.ts`, node.description.properties);
	expect(found.map((r) => r.split(':')[0]).sort()).toEqual(ACCEPTED[name] ?? []);
});

test.each(pkg.n8n.credentials)('%s: its resolved fields pass n8n’s credential lint rules', (distPath) => {
	const [name, credential] = instantiate<ICredentialType>(distPath);
	expect(reports(`credentials/${name}.credentials.ts`, credential.properties)).toEqual([]);
});
