import type { Faker } from '@faker-js/faker';
import type { AnonymisationSecrets } from '../../src/anonymise/secrets.schema';
import type { ObjectStoreConfig, PostgresConnection } from '../../src/config/connection.schema';
import type { DevStack } from '../../src/devstack/stack';

/**
 * What every demo step receives. `npm run demo` (scripts/demo.ts) starts the embedded stack, creates the synthetic
 * source databases, then runs scripts/demo/steps/*.ts in file-name order (NN-<area>.ts); each step default-exports
 * `async (demo: DemoContext) => void` and prints what a user should see.
 */
export interface DemoContext {
	stack: DevStack;
	/** The warehouse database (data_warehouse), migrated. */
	warehouse: PostgresConnection;
	/** A connection to one synthetic source database (auth_db, ledger_db, tagme_db, ...) on the same cluster. */
	source(db: string): PostgresConnection;
	/** The apps' analytics_db (push-back target). */
	analytics: PostgresConnection;
	/** The compliance database holding compliance.token_vault. */
	compliance: PostgresConnection;
	store: ObjectStoreConfig;
	/** Prints a heading. */
	section(title: string): void;
	/** Prints rows as an aligned table. */
	table(rows: Record<string, unknown>[]): void;
	log(message: string): void;
	/** `--rows N`: size of the largest synthetic tables; steps that add data scale from it. */
	rows: number;
	/** Seeded en_ZA faker (`--seed`), so a rerun produces the same people, places and amounts. */
	faker: Faker;
	/** The synthetic source databases that were created (auth_db, ledger_db, tagme_db). */
	sourceDbs: string[];
	/** Salts and keys for this run (random, never printed): Anonymise and the chain's incremental builds share them. */
	secrets: AnonymisationSecrets;
}
