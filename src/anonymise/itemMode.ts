import type pg from 'pg';
import { hashValue, subjectHmac } from './hashing';
import { addressCity, ageBand, deviceClass, gpsGrid, postcodeArea, timestampHour } from './generalise';
import { outputColumns, subjectColumn, type Policy, type PolicyTable } from './policy.schema';
import type { ResolvedSalt } from './secrets.schema';
import { planColumns, type InputColumn } from './sqlBuilder';
import type { TokenVault } from './vault';

/**
 * Item mode: the same policy applied to n8n items (small flows, webhooks) in TypeScript. Output equals what
 * set mode writes to intermediate.* and node-postgres reads back (test/integration/anonymise proves it).
 * The two lookups that live in the warehouse — IP ranges and the forgotten-subject register — are queried
 * through the same SQL as set mode.
 */
export interface WarehouseLookups {
	ipGeo(ips: string[]): Promise<Map<string, { city: string | null; country: string | null }>>;
	/** The subset of `subjectHmacs` that was forgotten. */
	forgotten(subjectHmacs: string[]): Promise<Set<string>>;
}

export function warehouseLookups(db: pg.Pool | pg.PoolClient): WarehouseLookups {
	return {
		async ipGeo(ips) {
			if (!ips.length) return new Map();
			const { rows } = await db.query<{ ip: string; city: string | null; country: string | null }>(
				`SELECT u.ip, g.city, g.country FROM unnest($1::text[]) AS u(ip)
				 LEFT JOIN LATERAL (SELECT r.city, r.country FROM dwh_control.ip_geo_ranges r
				                     WHERE r.network >>= dwh_control.try_inet(u.ip) ORDER BY masklen(r.network) DESC LIMIT 1) g ON true`,
				[ips],
			);
			return new Map(rows.map((r) => [r.ip, { city: r.city, country: r.country }]));
		},
		async forgotten(subjectHmacs) {
			if (!subjectHmacs.length) return new Set();
			const { rows } = await db.query<{ h: string }>('SELECT subject_hmac AS h FROM dwh_control.rtbf_subjects WHERE subject_hmac = ANY($1::text[])', [
				subjectHmacs,
			]);
			return new Set(rows.map((r) => r.h));
		},
	};
}

export interface ItemModeDeps {
	salts: Map<string, ResolvedSalt>;
	hmacKey: string;
	lookups: WarehouseLookups;
	vault?: TokenVault | null;
}

export interface ItemModeOptions {
	policy: Policy;
	table: PolicyTable;
	asOf: string;
}

export type Row = Record<string, unknown>;

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Anonymises `rows` (one per item); rows of forgotten people are dropped, as set mode drops them. */
export async function anonymiseItems(
	deps: ItemModeDeps,
	opts: ItemModeOptions,
	rows: Row[],
): Promise<{ rows: Row[]; dropped: number[]; tokensIssued: number }> {
	const { policy, table } = opts;
	// Items carry no types and n8n drops undefined keys: the policy's columns are the input, plus whatever
	// extra keys arrived (which then must be covered like unlisted columns in set mode).
	const keys = new Set<string>(Object.keys(table.columns));
	for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
	const input: InputColumn[] = [...keys].map((name) => ({ name, type: 'unknown' }));
	const planned = planColumns(policy, table, input);

	let keep = rows.map((_, i) => i);
	const dropped: number[] = [];
	const col = subjectColumn(table);
	if (col) {
		const hmacs = rows.map((r) => (r[col] === null || r[col] === undefined ? null : subjectHmac(deps.hmacKey, String(r[col]))));
		const gone = await deps.lookups.forgotten(hmacs.filter((h): h is string => h !== null));
		keep = keep.filter((i) => {
			const h = hmacs[i];
			if (h && gone.has(h)) {
				dropped.push(i);
				return false;
			}
			return true;
		});
	}

	const out: Row[] = keep.map(() => ({}));
	let tokensIssued = 0;
	for (const p of planned) {
		const spec = p.spec;
		const names = outputColumns(p.column, spec);
		const values = keep.map((i) => rows[i][p.column] ?? null);
		const put = (k: number, vs: unknown[]) => vs.forEach((v, j) => (out[j][names[k]] = v));
		switch (spec.strategy) {
			case 'suppress':
				break;
			case 'keep':
				put(0, values);
				break;
			case 'hash': {
				const salt = deps.salts.get(spec.salt);
				if (!salt) throw new Error(`internal: salt ${spec.salt} was not resolved`);
				put(
					0,
					values.map((v) => hashValue(salt.salt, v, spec, p.column)),
				);
				break;
			}
			case 'tokenise': {
				if (!deps.vault) throw new Error(`Policy ${policy.source_db}, table ${table.table}: column ${p.column} is tokenised, but no vault is configured`);
				const subj = subjectColumn(table);
				const entries = keep
					.map((i) => ({ value: text(rows[i][p.column]), subject: subj && rows[i][subj] != null ? subjectHmac(deps.hmacKey, String(rows[i][subj])) : null }))
					.filter((e): e is { value: string; subject: string | null } => e.value !== null);
				const r = await deps.vault.tokenise(spec.kind, entries, policy.source_db);
				tokensIssued += r.issued;
				put(
					0,
					values.map((v) => (v === null ? null : r.tokens.get(String(v)) ?? null)),
				);
				break;
			}
			case 'generalise':
				switch (spec.rule) {
					case 'age_band':
						put(
							0,
							values.map((v) => ageBand(v, opts.asOf)),
						);
						break;
					case 'postcode_4':
						put(0, values.map(postcodeArea));
						break;
					case 'gps_grid':
						put(0, values.map(gpsGrid));
						break;
					case 'device_class':
						put(
							0,
							values.map((v) => deviceClass(v, spec)),
						);
						break;
					case 'timestamp_hour':
						put(0, values.map(timestampHour));
						break;
					case 'ip_geo': {
						const ips = [...new Set(values.filter((v) => v !== null).map(String))];
						const geo = await deps.lookups.ipGeo(ips);
						put(
							0,
							values.map((v) => (v === null ? null : geo.get(String(v))?.city ?? null)),
						);
						put(
							1,
							values.map((v) => (v === null ? null : geo.get(String(v))?.country ?? null)),
						);
						break;
					}
					case 'address_city': {
						const parts = values.map((v) => addressCity(v, spec));
						put(
							0,
							parts.map((x) => x.city),
						);
						put(
							1,
							parts.map((x) => x.country),
						);
						break;
					}
				}
		}
	}
	return { rows: out, dropped, tokensIssued };
}
