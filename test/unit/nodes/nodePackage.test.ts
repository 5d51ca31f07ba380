import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ICredentialType, INodeProperties, INodeType } from 'n8n-workflow';

/**
 * What n8n needs to load the pack, checked on the sources: n8n finds a node's class by its file name, its icon
 * and codex file next to it, its credential tests and dropdowns by method name. A mistake in any of these only
 * shows up as a missing node or a broken editor in real n8n, so it is cheaper to catch here.
 */
const root = path.join(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; n8n: { nodes: string[]; credentials: string[] } };

const nodeDirs = readdirSync(path.join(root, 'nodes'), { withFileTypes: true })
	.filter((d) => d.isDirectory() && existsSync(path.join(root, 'nodes', d.name, `${d.name}.node.ts`)))
	.map((d) => d.name);
const credentialFiles = readdirSync(path.join(root, 'credentials'))
	.filter((f) => f.endsWith('.credentials.ts'))
	.map((f) => f.replace(/\.credentials\.ts$/, ''));

function loadNode(name: string): INodeType {
	const mod = require(path.join(root, 'nodes', name, `${name}.node.ts`)) as Record<string, new () => INodeType>;
	expect(Object.keys(mod)).toContain(name);
	return new mod[name]();
}

function loadCredential(name: string): ICredentialType {
	const mod = require(path.join(root, 'credentials', `${name}.credentials.ts`)) as Record<string, new () => ICredentialType>;
	expect(Object.keys(mod)).toContain(name);
	return new mod[name]();
}

function loadOptionsMethods(props: INodeProperties[]): string[] {
	return props.flatMap((p) => [
		...(p.typeOptions?.loadOptionsMethod ? [p.typeOptions.loadOptionsMethod] : []),
		...(p.options ?? []).flatMap((o) => ('displayName' in o && 'type' in o ? loadOptionsMethods([o as INodeProperties]) : [])),
	]);
}

test('the pack has the extract/load nodes and the credentials they need', () => {
	expect(nodeDirs).toEqual(expect.arrayContaining(['WatermarkExtract', 'BlobLoadBronze']));
	expect(credentialFiles).toEqual(expect.arrayContaining(['DataAcuityPostgres', 'DataAcuityPostgresSource', 'DataAcuityObjectStore']));
});

describe.each(nodeDirs)('node %s', (name) => {
	test('is listed in package.json and its class is named like its file', () => {
		expect(pkg.n8n.nodes).toContain(`dist/nodes/${name}/${name}.node.js`);
		loadNode(name);
	});

	test('has its icon and a codex file with categories and the README anchor', () => {
		const d = loadNode(name).description;
		const icon = typeof d.icon === 'string' ? d.icon : '';
		expect(icon).toMatch(/^file:.+\.(svg|png)$/);
		expect(existsSync(path.join(root, 'nodes', name, icon.slice('file:'.length)))).toBe(true);
		const codex = JSON.parse(readFileSync(path.join(root, 'nodes', name, `${name}.node.json`), 'utf8'));
		expect(codex.node).toBe(`${pkg.name}.${d.name}`);
		expect(codex.categories.length).toBeGreaterThan(0);
		expect(codex.resources.primaryDocumentation[0].url).toBe(`https://github.com/dataacuity/n8n-nodes-dataacuity#${name.toLowerCase()}`);
	});

	test('every credential test and dropdown it names exists', () => {
		const n = loadNode(name);
		for (const c of n.description.credentials ?? []) {
			expect(credentialFiles.map((f) => loadCredential(f).name)).toContain(c.name);
			if (typeof c.testedBy === 'string') expect(typeof n.methods?.credentialTest?.[c.testedBy]).toBe('function');
		}
		for (const m of loadOptionsMethods(n.description.properties)) expect(typeof n.methods?.loadOptions?.[m]).toBe('function');
	});
});

describe.each(credentialFiles)('credential %s', (name) => {
	test('is listed in package.json, named like its file, with an icon', () => {
		expect(pkg.n8n.credentials).toContain(`dist/credentials/${name}.credentials.js`);
		const c = loadCredential(name);
		if (typeof c.icon === 'string') expect(existsSync(path.join(root, 'credentials', c.icon.slice('file:'.length)))).toBe(true);
	});
});

test.each(['dataAcuityPostgres', 'dataAcuityPostgresSource', 'dataAcuityObjectStore'])('credential %s has a test the editor can run', (type) => {
	const testers = nodeDirs
		.map(loadNode)
		.filter((n) => n.description.credentials?.some((c) => c.name === type && typeof c.testedBy === 'string' && n.methods?.credentialTest?.[c.testedBy]));
	expect(testers.length).toBeGreaterThan(0);
});
