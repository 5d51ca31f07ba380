/**
 * Flat ESLint config with n8n's rules for community packages, nodes and credentials: eslint-plugin-n8n-nodes-base,
 * the plugin @n8n/node-cli's lint runs. The CLI itself is not used: it does not install on Node 20, which this
 * package supports, and its second plugin (@n8n/eslint-plugin-community-nodes) needs ESLint 9 and the n8n-workflow 2
 * API, while the pack is built against n8n-workflow 1 so that it loads in n8n 1.x. Linted: nodes/, credentials/ and
 * package.json; src/ holds no n8n code and is checked by `npm run typecheck`.
 */
const tsParser = require('@typescript-eslint/parser');
const n8n = require('eslint-plugin-n8n-nodes-base');

const languageOptions = { parser: tsParser, ecmaVersion: 2022, sourceType: 'module', parserOptions: { extraFileExtensions: ['.json'] } };
const plugins = { 'n8n-nodes-base': n8n };

module.exports = [
	{ ignores: ['**/node_modules/**', 'dist/**', '.cache/**'] },
	{ files: ['package.json'], languageOptions, plugins, rules: n8n.configs.community.rules },
	{
		files: ['credentials/**/*.ts'],
		languageOptions,
		plugins,
		rules: {
			...n8n.configs.credentials.rules,
			// Class and type names are fixed by package.json's n8n section (class name = file name) and are database
			// logins, not HTTP APIs, so the "…Api" suffix n8n wants for REST credentials does not fit.
			'n8n-nodes-base/cred-class-field-name-unsuffixed': 'off',
			'n8n-nodes-base/cred-class-field-display-name-missing-api': 'off',
			'n8n-nodes-base/cred-class-name-unsuffixed': 'off',
			'n8n-nodes-base/cred-filename-against-convention': 'off',
			// The documentation URL is the README anchor on GitHub, not docs.n8n.io.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions,
		plugins,
		rules: {
			...n8n.configs.nodes.rules,
			// Continue On Fail is handled once for every operation in nodes/shared/items.ts (executeItems /
			// executeBatch); the rule looks for continueOnFail() inside each execute() and cannot see it there.
			'n8n-nodes-base/node-execute-block-missing-continue-on-fail': 'off',
			// The rule wants resource descriptions in <Resource>Description.ts; the nodes have no resources, and each
			// operation's parameters live in actions/<operation>.operation.ts (the layout of n8n's Postgres v2 node).
			'n8n-nodes-base/node-resource-description-filename-against-convention': 'off',
		},
	},
];
