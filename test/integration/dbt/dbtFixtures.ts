import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { PostgresConnection } from '../../../src/config/connection.schema';
import { resolveDbtBinary } from '../../../src/dbt/dbtBinary';
import type { DbtCoreConfigInput } from '../../../src/dbt/coreConfig.schema';
import { enrichMartInputs } from '../../../src/enrich/martInputs';

/** The real dbt CLI from .venv (or DWH_DBT_BIN). Missing dbt fails the suite: it is a required component. */
export function requireDbt(): string {
	const bin = resolveDbtBinary();
	if (!path.isAbsolute(bin) || !existsSync(bin)) {
		throw new Error(`dbt is not installed (looked for ${bin}). Run: bash .ci/install.d/dbt.sh (creates .venv/bin/dbt) or set DWH_DBT_BIN.`);
	}
	return bin;
}

export function dbtConfig(warehouse: PostgresConnection, extra: Partial<DbtCoreConfigInput> = {}): DbtCoreConfigInput {
	return { dbtBin: requireDbt(), warehouse, artifactsDir: mkdtempSync(path.join(os.tmpdir(), 'dwh-dbt-test-')), ...extra };
}

export const HASH_SALT = 'test-salt-users';

/**
 * Stands in for the Anonymise node's output (issue 4): intermediate relations in the shape the marts read, built
 * from bronze with the §6.2 hash (users with an even id have a basic KYC record, every third a verified one); then
 * the real Enrich writes the enriched relations the marts read (src/enrich/martInputs.ts). FX rates must be there
 * first (seedFx).
 */
export async function writeIntermediate(wh: pg.Pool, rawTx: string, rawUsers: string): Promise<void> {
	await wh.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE SCHEMA IF NOT EXISTS intermediate`);
	await wh.query(
		`DROP TABLE IF EXISTS intermediate.int_ledger_db__transactions, intermediate.int_auth_db__users, intermediate.int_auth_db__kyc_records CASCADE`,
	);
	await wh.query(
		`CREATE TABLE intermediate.int_ledger_db__transactions AS
		 SELECT id AS transaction_id, encode(digest($1 || ':' || user_id::text, 'sha256'), 'hex') AS user_hash,
		        direction, amount_zar, category, channel, created_at
		   FROM raw.${rawTx}`,
		[HASH_SALT],
	);
	await wh.query(
		`CREATE TABLE intermediate.int_auth_db__users AS
		 SELECT encode(digest($1 || ':' || id::text, 'sha256'), 'hex') AS user_hash,
		        CASE WHEN id % 2 = 0 THEN '25-34' ELSE '35-44' END AS age_band,
		        home_city, province, 'ZA'::text AS country, created_at
		   FROM raw.${rawUsers}`,
		[HASH_SALT],
	);
	await wh.query(
		`CREATE TABLE intermediate.int_auth_db__kyc_records AS
		 SELECT id, encode(digest($1 || ':' || id::text, 'sha256'), 'hex') AS user_hash, 'sa_id'::text AS document_type,
		        CASE WHEN id % 3 = 0 THEN 'verified' ELSE 'basic' END AS kyc_tier, 'approved'::text AS status, created_at AS verified_at
		   FROM raw.${rawUsers} WHERE id % 2 = 0 OR id % 3 = 0`,
		[HASH_SALT],
	);
	await enrichMartInputs(wh);
}

export async function seedFx(wh: pg.Pool | pg.PoolClient): Promise<void> {
	await wh.query(
		`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source)
		 VALUES ('USD', current_date - 40, 0.055, 'test'), ('BTC', current_date - 40, 0.0000006, 'test')
		 ON CONFLICT DO NOTHING`,
	);
}

/** Source tables in the shape of the demo's synthetic ledger_db/auth_db (scripts/demo/synthetic). */
export const SOURCE_DDL = `
CREATE TABLE public.users (
	id bigint PRIMARY KEY, first_name text NOT NULL, email text NOT NULL, phone_e164 text, date_of_birth date,
	home_city text, province text, status text NOT NULL DEFAULT 'active',
	created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE public.transactions (
	id bigint PRIMARY KEY, account_id bigint NOT NULL, user_id bigint NOT NULL,
	direction text NOT NULL, amount_zar numeric(18,2) NOT NULL, category text NOT NULL, merchant_name text,
	reference text NOT NULL, channel text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());`;

/**
 * 60 users in Johannesburg (two age bands of 30) plus 3 in Polokwane, and 600 transactions over 10 local days:
 * every day has exactly 6 distinct paying users (k between 5 and 10: published, with a k<10 warning).
 */
export const SOURCE_ROWS = `
INSERT INTO public.users (id, first_name, email, phone_e164, date_of_birth, home_city, province, created_at, updated_at)
SELECT g, 'Name' || g, 'user' || g || '@example.co.za', '+2782' || lpad(g::text, 7, '0'), date '1990-01-01' + g,
       CASE WHEN g > 60 THEN 'Polokwane' ELSE 'Johannesburg' END, CASE WHEN g > 60 THEN 'Limpopo' ELSE 'Gauteng' END,
       now() - interval '200 days', now() - interval '1 hour'
  FROM generate_series(1, 63) g;
INSERT INTO public.transactions (id, account_id, user_id, direction, amount_zar, category, merchant_name, reference, channel, created_at)
SELECT g, g % 60 + 1, g % 60 + 1, CASE WHEN g % 7 = 0 THEN 'credit' ELSE 'debit' END, g * 1.25, 'groceries', 'Shop',
       'REF' || g, 'card', date_trunc('hour', now()) - interval '2 hours' - (g % 10) * interval '1 day'
  FROM generate_series(1, 600) g;`;

/**
 * Bronze as BlobLoadBronze leaves it (source columns + _dwh_run_id/_dwh_loaded_at), written directly into
 * raw.<db>__transactions and raw.<db>__users for tests that are about dbt, not the load; plus the Anonymise and FX
 * stand-ins the marts read.
 */
export async function seedWarehouseDirect(wh: pg.Pool, db: { ledger: string; auth: string }): Promise<void> {
	await wh.query(`CREATE SCHEMA IF NOT EXISTS raw; CREATE SCHEMA IF NOT EXISTS dbt_seed_tmp; ${SOURCE_DDL.replace(/public\./g, 'dbt_seed_tmp.')}`);
	await wh.query(SOURCE_ROWS.replace(/public\./g, 'dbt_seed_tmp.'));
	const targets = { transactions: `${db.ledger}__transactions`, users: `${db.auth}__users` };
	for (const [t, bronze] of Object.entries(targets)) {
		await wh.query(
			`ALTER TABLE dbt_seed_tmp.${t} ADD COLUMN _dwh_run_id bigint NOT NULL DEFAULT 1, ADD COLUMN _dwh_loaded_at timestamptz NOT NULL DEFAULT now()`,
		);
		await wh.query(`ALTER TABLE dbt_seed_tmp.${t} RENAME TO ${bronze}`);
		await wh.query(`ALTER TABLE dbt_seed_tmp.${bronze} SET SCHEMA raw`);
		// Default privileges apply to tables created in raw, not moved there: dbt's role reads bronze as it would.
		await wh.query(`GRANT SELECT ON raw.${bronze} TO dwh_transform`);
	}
	await wh.query(`DROP SCHEMA dbt_seed_tmp`);
	await seedFx(wh);
	await writeIntermediate(wh, targets.transactions, targets.users);
}

/**
 * The stand-ins seedWarehouseDirect writes are hashed with HASH_SALT; re-key them to a credential's "users" salt so
 * Forget Users finds the person's hashed rows the way it does after a real Anonymise run. `kycRecords`: also
 * int_auth_db__kyc_records (where the test world has it).
 */
export async function rekeyStandIns(wh: pg.Pool, salt: string, opts: { kycRecords?: boolean } = {}): Promise<void> {
	const hashed = (param: string, column: string) => `encode(digest(${param}::text || ':' || r.${column}::text, 'sha256'), 'hex')`;
	const users = ['intermediate.int_auth_db__users', ...(opts.kycRecords ? ['intermediate.int_auth_db__kyc_records'] : [])];
	for (const table of users) {
		await wh.query(`UPDATE ${table} i SET user_hash = ${hashed('$2', 'id')} FROM raw.auth_db__users r WHERE i.user_hash = ${hashed('$1', 'id')}`, [
			HASH_SALT,
			salt,
		]);
	}
	await wh.query(
		`UPDATE intermediate.int_ledger_db__transactions i SET user_hash = ${hashed('$1', 'user_id')}
		   FROM raw.ledger_db__transactions r WHERE i.transaction_id = r.id`,
		[salt],
	);
}
