import { z } from 'zod';

/**
 * Every name that ends up inside SQL text (schemas, tables, columns, source databases) must match this.
 * Quoting alone would make injection impossible, but a strict whitelist also keeps bronze names predictable
 * (`raw.<source_db>__<table>`) and gives the user an error that names the field instead of a SQL syntax error.
 */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const sqlIdentifier = (field: string) =>
	z
		.string({ required_error: `${field} is required` })
		.regex(SQL_IDENTIFIER, `${field} must be a lower-case SQL identifier (letters, digits, underscore; max 63 chars, not starting with a digit)`);
