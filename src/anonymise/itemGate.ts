import { columnNameFindings } from '../privacy/columnNames';
import { detectPii, type DetectorName } from '../privacy/detectors';
import type { PiiFinding } from '../privacy/piiScan';

type Row = Record<string, unknown>;

/** A finding of the item-mode gate: a PiiFinding (so run logs hold one shape) plus the input items it was in. */
export interface ItemPiiFinding extends PiiFinding {
	/** Input item positions (0-based) whose output field the detector fired on; every item for a column-name finding. */
	items: number[];
}

/**
 * The set-mode gate's checks applied to Anonymise Items' output before it leaves the node: column-name rules on
 * every output field and the content detectors on every value (items are few, so nothing is sampled: rowsSampled
 * equals rowsTotal). `positions[j]` is the input position of output row j. Values never enter a finding.
 */
export function checkItemsForPii(rows: Row[], positions: number[], relation: string, allowColumns: string[]): ItemPiiFinding[] {
	const allow = new Set(allowColumns);
	const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((f) => !allow.has(f));
	const findings: ItemPiiFinding[] = [];
	const total = rows.length;
	for (const field of fields) {
		for (const rule of columnNameFindings(field))
			findings.push({
				table: relation,
				column: field,
				detector: rule,
				kind: 'column_name',
				sampleCount: 0,
				rowsSampled: total,
				rowsTotal: total,
				items: [...positions],
			});
		const hits = new Map<DetectorName, number[]>();
		rows.forEach((r, j) => {
			const v = r[field];
			if (v === null || v === undefined || typeof v === 'object') return;
			for (const d of detectPii(String(v), { column: field })) hits.set(d, [...(hits.get(d) ?? []), positions[j]]);
		});
		for (const [detector, items] of hits)
			findings.push({ table: relation, column: field, detector, kind: 'content', sampleCount: items.length, rowsSampled: total, rowsTotal: total, items });
	}
	return findings;
}

/** `field home_city: street_address in 1 of 3 items (item 2)`; item positions, detectors and field names only. */
export function describeItemFindings(findings: ItemPiiFinding[]): string {
	return findings
		.map((f) => {
			const where = f.items.length > 5 ? `items ${f.items.slice(0, 5).join(', ')}, …` : `item${f.items.length === 1 ? '' : 's'} ${f.items.join(', ')}`;
			return f.kind === 'column_name'
				? `field ${f.column}: name looks like ${f.detector}`
				: `field ${f.column}: ${f.detector} in ${f.items.length} of ${f.rowsTotal} item${f.rowsTotal === 1 ? '' : 's'} (${where})`;
		})
		.join('; ');
}

export class ItemsPiiBlockedError extends Error {
	constructor(
		readonly source: string,
		readonly findings: ItemPiiFinding[],
		/** The one input item this error is for (Continue On Fail); undefined when the whole batch was blocked. */
		readonly item?: number,
	) {
		super(
			`PII check blocked Anonymise Items for ${source}${item === undefined ? '' : ` (item ${item})`}: ${describeItemFindings(findings)}. ` +
				(item === undefined ? 'Nothing was output.' : 'This item was not output.'),
		);
		this.name = 'ItemsPiiBlockedError';
	}
}
