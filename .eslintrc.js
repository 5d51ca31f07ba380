/**
 * n8n's own node/credential/package rules (eslint-plugin-n8n-nodes-base) on nodes/, credentials/ and package.json.
 * Only these are linted: src/ is plain TypeScript checked by `npm run typecheck`.
 */
const plugin = ['eslint-plugin-n8n-nodes-base'];

module.exports = {
	root: true,
	env: { es2022: true, node: true },
	parser: '@typescript-eslint/parser',
	parserOptions: { ecmaVersion: 2022, sourceType: 'module', extraFileExtensions: ['.json'] },
	ignorePatterns: ['.eslintrc.js', '.eslintrc.prepublish.js', '**/*.js', '**/node_modules/**', '**/dist/**'],
	overrides: [
		{
			files: ['package.json'],
			plugins: plugin,
			extends: ['plugin:n8n-nodes-base/community'],
		},
		{
			files: ['./credentials/**/*.ts'],
			plugins: plugin,
			extends: ['plugin:n8n-nodes-base/credentials'],
			rules: {
				// Class and type names are fixed by package.json's n8n section (class name = file name) and are
				// database logins, not HTTP APIs, so the "…Api" suffix n8n wants for REST credentials does not fit.
				'n8n-nodes-base/cred-class-field-name-unsuffixed': 'off',
				'n8n-nodes-base/cred-class-field-display-name-missing-api': 'off',
				'n8n-nodes-base/cred-class-name-unsuffixed': 'off',
				'n8n-nodes-base/cred-filename-against-convention': 'off',
				// The documentation URL is the README anchor on GitHub, not docs.n8n.io.
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			},
		},
		{
			files: ['./nodes/**/*.ts'],
			plugins: plugin,
			extends: ['plugin:n8n-nodes-base/nodes'],
			rules: {
				// continueOnFail is handled in nodes/shared/items.ts (executeItems / executeBatch), which this rule cannot see.
				'n8n-nodes-base/node-execute-block-missing-continue-on-fail': 'off',
				'n8n-nodes-base/node-resource-description-filename-against-convention': 'off',
			},
		},
	],
};
