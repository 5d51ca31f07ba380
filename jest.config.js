/** Three projects: fast pure-logic unit tests, integration tests against real Postgres + S3 servers, and
 * end-to-end tests in the real n8n runtime. Only projects with selected tests start their servers. */
const common = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	// .cache holds the e2e suite's n8n installs (GBs, with package.json files jest would mistake for modules).
	modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/dist/'],
};

module.exports = {
	testTimeout: 180_000,
	projects: [
		{ ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{
			...common,
			displayName: 'integration',
			testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
			globalSetup: '<rootDir>/test/harness/globalSetup.ts',
			globalTeardown: '<rootDir>/test/harness/globalTeardown.ts',
		},
		{
			// Real n8n 1.123 (Node 20) and 2.x (Node 24) from .cache/n8n, the pack installed community-style,
			// redis-server and chromium: see test/e2e/install-n8n.sh and docs/n8n-runtime.md.
			...common,
			transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/e2e/tsconfig.json' }] },
			displayName: 'e2e',
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
			globalSetup: '<rootDir>/test/e2e/harness/globalSetup.ts',
			globalTeardown: '<rootDir>/test/e2e/harness/globalTeardown.ts',
		},
	],
};
