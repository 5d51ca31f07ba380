import type { KeyRange, KeyTuple } from './keySql';
import type { KeyedRow, RangeAggregate, Side } from './side';

export const findingKinds = ['missing_in_bronze', 'extra_in_bronze', 'stale_in_bronze'] as const;
export type FindingKind = (typeof findingKinds)[number];

export interface Difference {
	key: KeyTuple;
	kind: FindingKind;
}

export interface CompareOptions {
	/** Rows per top-level key range (the source is walked in key order to cut them). */
	segmentRows: number;
	/** A differing range this small is settled by fetching its keys and watermarks from both sides. */
	leafRows: number;
	/** Sub-ranges a differing range is cut into. */
	fanout: number;
	/** Ranges compared at the same time (each holds one connection per side while it runs). */
	parallel: number;
	/** Stop looking once this many differing keys were found (the table needs a reseed, not a repair by key). */
	maxFindings: number;
}

export interface CompareOutcome {
	differences: Difference[];
	rangesCompared: number;
	sourceRows: number;
	bronzeRows: number;
	truncated: boolean;
}

/**
 * Sorts keys into differences. Rows a side marks not comparable (stamped after the compared bound: changed since the
 * loaded watermark) are no difference whatever the other side holds; the next extract's window carries them.
 */
export function classify(source: KeyedRow[], bronze: KeyedRow[]): { differences: Difference[]; changed: number } {
	const id = (k: KeyTuple) => JSON.stringify(k);
	const s = new Map(source.map((r) => [id(r.key), r]));
	const b = new Map(bronze.map((r) => [id(r.key), r]));
	const differences: Difference[] = [];
	let changed = 0;
	for (const k of new Set([...s.keys(), ...b.keys()])) {
		const sr = s.get(k);
		const br = b.get(k);
		if ((sr && !sr.comparable) || (br && !br.comparable)) changed++;
		else if (sr && !br) differences.push({ key: sr.key, kind: 'missing_in_bronze' });
		else if (!sr && br) differences.push({ key: br.key, kind: 'extra_in_bronze' });
		else if (sr && br && sr.watermark !== br.watermark) differences.push({ key: sr.key, kind: 'stale_in_bronze' });
	}
	return { differences, changed };
}

function same(a: RangeAggregate, b: RangeAggregate): boolean {
	return a.rows === b.rows && a.hash === b.hash;
}

function cut(range: KeyRange, points: KeyTuple[]): KeyRange[] {
	const bounds = [range.lo, ...points, range.hi];
	return points.length ? bounds.slice(0, -1).map((lo, i) => ({ lo, hi: bounds[i + 1] })) : [range];
}

/**
 * The data-diff approach: both servers aggregate (count, checksum) each key range of the table; only ranges that
 * differ are cut into smaller ranges and compared again, down to ranges small enough to fetch their keys. A matching
 * table costs one aggregate pass per side (plus the walk that cuts the top-level ranges on the source).
 */
export async function compareSides(source: Side, bronze: Side, o: CompareOptions): Promise<CompareOutcome> {
	const out: CompareOutcome = { differences: [], rangesCompared: 0, sourceRows: 0, bronzeRows: 0, truncated: false };
	const full = () => {
		if (out.differences.length >= o.maxFindings) out.truncated = true;
		return out.truncated;
	};

	const settle = async (range: KeyRange, s: RangeAggregate, b: RangeAggregate): Promise<void> => {
		if (same(s, b) || full()) return;
		const larger = Math.max(s.rows, b.rows);
		if (larger <= o.leafRows) {
			const [sr, br] = await Promise.all([source.rowsIn(range), bronze.rowsIn(range)]);
			out.differences.push(...classify(sr, br).differences);
			return;
		}
		const points = await (s.rows >= b.rows ? source : bronze).splitPoints(range, larger, o.fanout);
		const parts = cut(range, points);
		if (parts.length === 1) {
			const [sr, br] = await Promise.all([source.rowsIn(range), bronze.rowsIn(range)]);
			out.differences.push(...classify(sr, br).differences);
			return;
		}
		const [sa, ba] = await Promise.all([source.aggregate(parts), bronze.aggregate(parts)]);
		out.rangesCompared += parts.length;
		for (let i = 0; i < parts.length; i++) await settle(parts[i], sa[i], ba[i]);
	};

	const [sh, bh] = await Promise.all([source.hashProbe(), bronze.hashProbe()]);
	if (sh !== bh) {
		throw new Error(`the source and the warehouse hash text differently (different byte order or encoding), so their range checksums cannot be compared`);
	}
	const segments = cut({ lo: null, hi: null }, await segmentBoundaries(source, bronze, o.segmentRows));
	let nextSegment = 0;
	const worker = async () => {
		while (nextSegment < segments.length) {
			const range = segments[nextSegment++];
			const [[s], [b]] = await Promise.all([source.aggregate([range]), bronze.aggregate([range])]);
			out.rangesCompared++;
			out.sourceRows += s.rows;
			out.bronzeRows += b.rows;
			await settle(range, s, b);
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, segments.length)) }, worker));
	if (out.differences.length > o.maxFindings) out.differences.length = o.maxFindings;
	return out;
}

/**
 * Keys that cut the table into segments of about `segmentRows` rows. A single integer key is cut arithmetically over
 * the span of both sides (index probes and the planner's row estimate: no pass over the table); any other key by a
 * keyset walk of the source's key index. The first and last segments are open-ended, so keys outside the span (a side
 * with extra rows) are compared too.
 */
async function segmentBoundaries(source: Side, bronze: Side, segmentRows: number): Promise<KeyTuple[]> {
	const [s, b] = await Promise.all([source.integerSpan(), bronze.integerSpan()]);
	if (s && b) {
		const min = s.min < b.min ? s.min : b.min;
		const max = s.max > b.max ? s.max : b.max;
		const span = max - min + 1n;
		const segments = BigInt(Math.max(1, Math.ceil(Math.max(s.rows, b.rows) / segmentRows)));
		const width = span / segments + (span % segments ? 1n : 0n);
		const out: KeyTuple[] = [];
		for (let k = min + width; k <= max; k += width) out.push([k.toString()]);
		return out;
	}
	const boundaries: KeyTuple[] = [];
	for (let from: KeyTuple | null = null; ; ) {
		const next = await source.nextBoundary(from, segmentRows);
		if (!next) break;
		boundaries.push(next);
		from = next;
	}
	return boundaries;
}
