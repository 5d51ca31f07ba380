/** Console output for the demo: headings and aligned tables a person can read at a glance. */
export function cell(v: unknown): string {
	if (v === null || v === undefined) return '';
	if (v instanceof Date) return v.toISOString();
	if (typeof v === 'object') return JSON.stringify(v);
	return String(v);
}

export function formatTable(rows: Record<string, unknown>[], maxWidth = 90): string {
	if (rows.length === 0) return '  (no rows)';
	// Columns empty in every row (e.g. "in flight since" when nothing is in flight) only widen the table.
	const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => rows.some((r) => cell(r[c]) !== ''));
	const text = rows.map((r) =>
		cols.map((c) => {
			const s = cell(r[c]).replace(/\s*\n\s*/g, ' ');
			return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
		}),
	);
	const widths = cols.map((c, i) => Math.max(c.length, ...text.map((t) => t[i].length)));
	const line = (vals: string[]) => `  ${vals.map((v, i) => v.padEnd(widths[i])).join('  ')}`.trimEnd();
	return [line(cols), line(widths.map((w) => '─'.repeat(w))), ...text.map(line)].join('\n');
}

export function heading(title: string): string {
	return `\n━━ ${title} ${'━'.repeat(Math.max(3, 100 - title.length))}`;
}
