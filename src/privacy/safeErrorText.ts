import { redactUserinfo } from './redactUserinfo';

/**
 * The one sanitiser for error text that is stored (run logs, alert rows) or shown (node errors, node output items).
 * PostgreSQL quotes row values in data errors (`invalid input syntax for type integer: "someone@example.com"`),
 * in constraint details (`Key (email)=(x@y) already exists.`, `Failing row contains (…)`) and in COPY context
 * (`COPY t, line 2, column age: "…"`); dwh_readonly reads those run logs, so none of that may pass. What is kept
 * is what a DBA needs to find the row again: the SQLSTATE, the column, the constraint, the CSV line.
 *
 * Structured driver errors are rebuilt field by field (allow-list); plain text (dbt output, messages that wrapped
 * a driver error) goes through the same value patterns line by line.
 */

export const WITHHELD = '<value withheld>';
const MAX_CHARS = 4000;

interface PgErrorFields {
	message?: string;
	code?: string;
	detail?: string;
	hint?: string;
	where?: string;
	column?: string;
	constraint?: string;
	table?: string;
	schema?: string;
	dataType?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Operational classes whose DETAIL describes the server, not the data: connection, rollback/deadlock, resources, state, operator, system. */
const SAFE_DETAIL_CLASSES = new Set(['08', '40', '53', '55', '57', '58']);

/** `sqlstate: false` when the caller names the code itself (the node's "Postgres error 22P02: …"). */
export function safeErrorText(err: unknown, opts: { sqlstate?: boolean } = {}): string {
	const e = (err ?? {}) as PgErrorFields;
	const isPg = typeof e.code === 'string' && SQLSTATE.test(e.code) && typeof e.message === 'string';
	const text = isPg ? pgErrorText(e, opts.sqlstate ?? true) : redactErrorText(typeof e.message === 'string' ? e.message : String(err));
	return text.slice(0, MAX_CHARS);
}

function pgErrorText(e: PgErrorFields, withCode: boolean): string {
	const code = e.code!;
	const cls = code.slice(0, 2);
	const tags = [withCode && `SQLSTATE ${code}`, e.column && `column ${e.column}`, e.constraint && `constraint ${e.constraint}`].filter(Boolean).join('; ');
	const parts = [`${redactMessage(e.message!, cls)}${tags ? ` [${tags}]` : ''}`];
	const detail = e.detail ? redactDetail(e.detail, cls) : null;
	if (detail) parts.push(detail);
	if (e.hint && cls !== '22' && cls !== '23') parts.push(redactErrorText(e.hint));
	const context = e.where ? redactContext(e.where) : null;
	if (context) parts.push(context);
	return parts.join(' | ');
}

/**
 * Class 22 (data exception) messages end with the offending value after the first ": " (`…for type integer: "x"`,
 * `…for encoding "UTF8": 0xe9 0x20`); the rest of the text names a type or an encoding and stays.
 */
function redactMessage(message: string, cls: string): string {
	if (cls === '22') {
		const cut = message.indexOf(': ');
		const head = cut >= 0 ? message.slice(0, cut) : message;
		// What is still quoted is a value too (`invalid value "ab" for "YYYY"`, `value "1e12" is out of range…`),
		// except an encoding or type name.
		const quoted = head.replace(/(?<!encoding |type )"[^"]*"/g, `"${WITHHELD}"`);
		return redactErrorText(cut >= 0 ? `${quoted}: ${WITHHELD}` : quoted);
	}
	return redactErrorText(message);
}

const DETAIL_TAILS = [/ already exists\.$/, / is not present in table "[^"]*"\.$/, / is still referenced from table "[^"]*"\.$/];

/** Constraint details are rebuilt around the column list; any other DETAIL of a data or constraint error is dropped. */
function redactDetail(detail: string, cls: string): string | null {
	const key = /^Key \((.*?)\)=\(/s.exec(detail);
	if (key) {
		const tail =
			DETAIL_TAILS.map((re) => re.exec(detail)?.[0]).find(Boolean) ?? (/ conflicts with existing key /.test(detail) ? ' conflicts with an existing key.' : '.');
		return `Key (${key[1]})=(${WITHHELD})${tail}`;
	}
	if (/^Failing row contains /.test(detail)) return `Failing row contains (${WITHHELD}).`;
	if (SAFE_DETAIL_CLASSES.has(cls)) return redactErrorText(detail);
	return null;
}

/**
 * CONTEXT lines that locate the error are kept without the value (`COPY t, line 2, column age`); PL/pgSQL and SQL
 * function frames are kept; anything else (`SQL statement "…"` built with values, `JSON data, line 1: …`) is dropped.
 */
function redactContext(where: string): string | null {
	const kept: string[] = [];
	for (const line of where.split('\n')) {
		const copy = /^(COPY [^,]+, line \d+(?:, column [^:]+)?)(?::.*)?$/s.exec(line);
		if (copy) kept.push(copy[1]);
		else if (/^(PL\/pgSQL function .* line \d+ at [A-Z ]+|SQL function "[^"]+" statement \d+)$/.test(line)) kept.push(line);
	}
	return kept.length ? kept.join('; ') : null;
}

/** The value shapes PostgreSQL (and dbt, which prints its messages) put into text, applied line by line. */
const TEXT_PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
	// data errors: "<what>: <value>" — the value always comes last.
	[
		/((?:invalid input syntax for(?: type)? [^:\n]+|invalid input value for enum [^:\n]+|malformed (?:array|range|record) literal|date\/time field value out of range|invalid byte sequence for encoding "[^"\n]+"|invalid (?:hexadecimal|base64) (?:data|digit|symbol)[^:\n]*)): .*$/gm,
		`$1: ${WITHHELD}`,
	],
	[/value "[^\n]*" is out of range for type/g, `value "${WITHHELD}" is out of range for type`],
	[/character with byte sequence (?:0x[0-9a-f]{2} ?)+/gi, 'character with byte sequence <bytes withheld> '],
	[/Key \(([^\n]*?)\)=\([^\n]*/g, (_m, cols) => `Key (${cols})=(${WITHHELD})`],
	[/Failing row contains \([^\n]*/g, `Failing row contains (${WITHHELD})`],
	[/(COPY [^,\n]+, line \d+(?:, column [^:\n]+)?): [^\n]*/g, '$1'],
	[/(JSON data, line \d+):[^\n]*/g, `$1: ${WITHHELD}`],
	[/(Token) "[^\n]*" (is invalid)/g, `$1 ${WITHHELD} $2`],
];

export function redactErrorText(text: string): string {
	let out = redactUserinfo(text);
	for (const [re, by] of TEXT_PATTERNS) out = out.replace(re, by as string);
	return out;
}
