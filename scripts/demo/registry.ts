import type { SourceTableInput } from '../../src/config/registry.schema';

/**
 * Registry entries for the demo's synthetic sources, used only until the versioned registry file and its sync
 * command exist; then the demo syncs that file and enables just these sources' tables.
 */
const lag = { lookback: '5 minutes', safety_lag: '1 second' } as const;

export const DEMO_REGISTRY: SourceTableInput[] = [
	{ source_db: 'auth_db', source_table: 'users', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '15 minutes', ...lag },
	{ source_db: 'auth_db', source_table: 'sessions', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '15 minutes', ...lag },
	{ source_db: 'auth_db', source_table: 'kyc_records', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '15 minutes', ...lag },
	{ source_db: 'auth_db', source_table: 'phone_pins', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['user_id'], cadence: '15 minutes', excluded_columns: ['pin_hash'], ...lag },
	{ source_db: 'ledger_db', source_table: 'accounts', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '5 minutes', ...lag },
	{ source_db: 'ledger_db', source_table: 'transactions', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '5 minutes', ...lag },
	{ source_db: 'ledger_db', source_table: 'holds', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '5 minutes', ...lag },
	{ source_db: 'ledger_db', source_table: 'reversals', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '5 minutes', ...lag },
	{ source_db: 'tagme_db', source_table: 'points_of_interest', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' },
	{ source_db: 'tagme_db', source_table: 'check_ins', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '1 hour', ...lag },
	{ source_db: 'tagme_db', source_table: 'tags', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '1 hour', ...lag },
	{ source_db: 'tagme_db', source_table: 'user_locations', mode: 'incremental', load_strategy: 'append', watermark_column: 'recorded_at', key_columns: ['id'], cadence: '1 hour', ...lag },
	{ source_db: 'tagme_db', source_table: 'events', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '1 hour', ...lag },
];
