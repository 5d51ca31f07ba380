/**
 * Where each stage may write (docs/security.md, "Write targets"). Privileges stop a stage's login from writing
 * anywhere else; these rules stop it from the config side first, with an error that names the parameter, so a
 * typo cannot replace a bronze table, the control schema, the vault or a mart that Push Back reads.
 */

/** Schemas no node parameter may name as a place to write: bronze PII, the pipeline's bookkeeping, the vault. */
export const GUARDED_SCHEMAS: readonly string[] = ['raw', 'dwh_control', 'compliance', 'dwh_enrich', 'pg_catalog', 'information_schema', 'pg_toast'];

/** Enrich Relation writes only intermediate.enr_<name>: its own tables, never an Anonymise output or a mart. */
export const ENRICH_TARGET = /^intermediate\.enr_[a-z0-9_]{1,58}$/;

/** Anonymise writes only intermediate.int_<name> (the default int_<source_db>__<table> included). */
export const ANONYMISE_OUTPUT = /^int_[a-z0-9_]{1,59}$/;

/** Anonymise reads bronze or dbt staging; Forget Users deletes from the same relations. */
export const ANONYMISE_INPUT_SCHEMAS: readonly string[] = ['raw', 'staging'];

/** dbt's default schema (models without a custom schema): anything but what other stages own. */
export function dbtSchemaProblem(schema: string): string | null {
	if (GUARDED_SCHEMAS.includes(schema) || schema === 'intermediate' || schema.startsWith('pg_')) {
		return `defaultSchema must not be ${schema}: dbt writes staging, marts and its own schema, never raw, dwh_control, compliance, dwh_enrich or intermediate (the Anonymise and Enrich outputs) — use e.g. dbt`;
	}
	return null;
}
