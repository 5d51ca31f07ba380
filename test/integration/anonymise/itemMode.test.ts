import { anonymiseItems, warehouseLookups, type Row } from '../../../src/anonymise/itemMode';
import { policyTable, anonymiseRelation } from '../../../src/anonymise/runner';
import { parsePolicy, type LoadedPolicy } from '../../../src/anonymise/policyLoader';
import { resolveActiveSalts } from '../../../src/anonymise/saltVersions';
import { saltTypesOf } from '../../../src/anonymise/policy.schema';
import { createAnonWorld, loadIpRanges, loadRaw, loadSyntheticPii, type AnonWorld } from './world';

let w: AnonWorld;

/** Every generalisation rule on one table, with the edge cases each rule has (nulls, ties, offsets, leap days). */
const ORDERS_POLICY = {
	source_db: 'kiffstore_db',
	version: 'test-all-rules',
	tables: [
		{
			table: 'orders',
			subject: { column: 'user_id' },
			columns: {
				id: 'keep',
				user_id: { strategy: 'hash', salt: 'users', as: 'user_hash' },
				email: { strategy: 'hash', salt: 'emails', normalise: 'lower_trim', truncate: 16, as: 'email_hash16' },
				buyer_dob: { strategy: 'generalise', rule: 'age_band' },
				shipping_address: { strategy: 'generalise', rule: 'address_city', as_city: 'ship_city', as_country: 'ship_country', default_country: 'South Africa' },
				postcode: { strategy: 'generalise', rule: 'postcode_4', as: 'postcode_area' },
				drop_lat: { strategy: 'generalise', rule: 'gps_grid', as: 'drop_lat_grid' },
				drop_lng_f: { strategy: 'generalise', rule: 'gps_grid', as: 'drop_lng_grid' },
				client_ip: { strategy: 'generalise', rule: 'ip_geo', as_city: 'ip_city', as_country: 'ip_country' },
				user_agent: { strategy: 'generalise', rule: 'device_class' },
				paid_at: { strategy: 'generalise', rule: 'timestamp_hour', as: 'paid_hour' },
				packed_at: { strategy: 'generalise', rule: 'timestamp_hour', as: 'packed_hour' },
				card_number: { strategy: 'tokenise', kind: 'card', as: 'card_token' },
				gift_message: 'suppress',
				total_zar: 'keep',
			},
		},
	],
};

const ORDERS_DDL = `id bigint PRIMARY KEY, user_id bigint, email text, buyer_dob date, shipping_address text, postcode text,
	drop_lat numeric(9,6), drop_lng_f double precision, client_ip text, user_agent text, paid_at timestamptz, packed_at timestamp,
	card_number text, gift_message text, total_zar numeric(12,2)`;

const ORDERS: Record<string, unknown>[] = [
	{
		id: 1,
		user_id: 11,
		email: '  Thabo@Example.CO.za ',
		buyer_dob: '2008-11-26',
		shipping_address: '12 Main Rd, Sandton, Johannesburg, 2196, South Africa',
		postcode: '2196',
		drop_lat: '-26.105000',
		drop_lng_f: 28.055,
		client_ip: '192.0.2.44',
		user_agent: 'Mozilla/5.0 (Linux; Android 13; Pixel 7)',
		paid_at: '2026-11-20T23:59:59.999999+02:00',
		packed_at: '2026-11-20 23:15:00',
		card_number: '4111111111111111',
		gift_message: 'Love, Thabo 082 555 1234',
		total_zar: '499.99',
	},
	{
		id: 2,
		user_id: 12,
		email: 'naledi@example.com',
		buyer_dob: '2000-02-29',
		shipping_address: 'Flat 4, 5 Long St, Cape Town',
		postcode: 'SW1A 1AA',
		drop_lat: '-33.924999',
		drop_lng_f: 18.4249999,
		client_ip: '198.51.100.200',
		user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 15_2 like Mac OS X)',
		paid_at: '2026-03-01T00:00:00Z',
		packed_at: null,
		card_number: '5555555555554444',
		gift_message: null,
		total_zar: '10.00',
	},
	{
		id: 3,
		user_id: 13,
		email: null,
		buyer_dob: '1961-11-25',
		shipping_address: '7 Kerk St, Stellenbosch, namibia',
		postcode: null,
		drop_lat: '-0.004999',
		drop_lng_f: -0.005,
		client_ip: 'not an ip',
		user_agent: '',
		paid_at: null,
		packed_at: '2026-01-01 00:00:00',
		card_number: '4111111111111111',
		gift_message: 'x',
		total_zar: null,
	},
	{
		id: 4,
		user_id: 14,
		email: 'x@y.za',
		buyer_dob: null,
		shipping_address: null,
		postcode: '0002',
		drop_lat: null,
		drop_lng_f: null,
		client_ip: '2001:db8::1',
		user_agent: 'curl/8.0',
		paid_at: '2026-06-15 10:30:00+05:30',
		packed_at: null,
		card_number: null,
		gift_message: null,
		total_zar: '0.01',
	},
	{
		id: 5,
		user_id: null,
		email: 'anon@y.za',
		buyer_dob: '1990-01-01',
		shipping_address: '  ,  ,  ',
		postcode: '12345678',
		drop_lat: '89.995',
		drop_lng_f: 179.994999,
		client_ip: '203.0.113.5',
		user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605',
		paid_at: '2026-12-31T23:00:00-01:00',
		packed_at: '2026-12-31 23:59:59.5',
		card_number: '4111111111111111',
		gift_message: null,
		total_zar: '1.00',
	},
];

let orders: LoadedPolicy;

beforeAll(async () => {
	w = await createAnonWorld('anon_items');
	await loadSyntheticPii(w.wh, 30);
	await loadIpRanges(w.wh);
	await loadRaw(w.wh, 'kiffstore_db', 'orders', ORDERS_DDL, ORDERS);
	orders = { policy: parsePolicy(ORDERS_POLICY, 'orders'), sha256: 'test', file: null };
});
afterAll(async () => w?.close());

const byKey = (key: string) => (a: Row, b: Row) => String(a[key]).localeCompare(String(b[key]));

/** Set mode, then item mode over the very rows of raw.* as node-postgres reads them; both must be equal. */
async function compare(loaded: LoadedPolicy, table: string, key: string): Promise<Row[]> {
	const asOf = '2026-11-25';
	await anonymiseRelation(w.deps, { policy: loaded, table, asOf });
	const t = policyTable(loaded.policy, table);
	const { rows: input } = await w.wh.query(`SELECT * FROM raw.${loaded.policy.source_db}__${table}`);
	const salts = await resolveActiveSalts(w.wh, w.secrets.salts, saltTypesOf(t));
	const items = await anonymiseItems(
		{ salts, hmacKey: w.secrets.hmacKey, lookups: warehouseLookups(w.wh), vault: w.vault },
		{ policy: loaded.policy, table: t, asOf },
		input,
	);
	const { rows: set } = await w.wh.query(`SELECT * FROM intermediate.int_${loaded.policy.source_db}__${table}`);
	expect(items.rows.length).toBe(set.length);
	expect([...items.rows].sort(byKey(key))).toEqual([...set].sort(byKey(key)));
	return set;
}

test.each([
	['auth_db', 'users', 'user_hash'],
	['auth_db', 'sessions', 'session_id'],
	['auth_db', 'kyc_records', 'id'],
	['auth_db', 'phone_pins', 'user_hash'],
	['tagme_db', 'check_ins', 'check_in_id'],
	['messaging_db', 'messages', 'message_id'],
])('item mode equals set mode for %s.%s', async (db, table, key) => {
	const set = await compare(w.policy(db), table, key);
	expect(set.length).toBeGreaterThan(0);
});

test('item mode equals set mode for every generalisation rule and its edge cases', async () => {
	const set = await compare(orders, 'orders', 'id');
	const one = set.find((r) => r.id === '1')!;
	expect(one).toMatchObject({
		age_band: '<18',
		ship_city: 'Johannesburg',
		ship_country: 'South Africa',
		postcode_area: '2196',
		drop_lat_grid: -26.11,
		drop_lng_grid: 28.06,
		ip_city: 'Johannesburg',
		ip_country: 'ZA',
		device_class: 'Android-recent',
		paid_hour: '2026-11-20 21:00:00+00',
		packed_hour: '2026-11-20 23:00:00',
	});
	const two = set.find((r) => r.id === '2')!;
	expect(two).toMatchObject({
		age_band: '25-34',
		ship_city: 'Cape Town',
		ship_country: 'South Africa',
		postcode_area: '11',
		drop_lat_grid: -33.92,
		ip_city: 'Stellenbosch',
		device_class: 'iOS-old',
	});
	const three = set.find((r) => r.id === '3')!;
	expect(three).toMatchObject({
		age_band: '65+',
		ship_city: 'Stellenbosch',
		ship_country: 'namibia',
		drop_lat_grid: 0,
		ip_city: null,
		ip_country: null,
		device_class: null,
		paid_hour: null,
	});
	expect(Object.is(three.drop_lat_grid, 0)).toBe(true);
	expect(set.find((r) => r.id === '5')).toMatchObject({
		user_hash: null,
		ship_city: null,
		ship_country: 'South Africa',
		postcode_area: '1234',
		drop_lat_grid: 90,
		drop_lng_grid: 179.99,
		ip_city: null,
		ip_country: 'ZA',
		device_class: 'Web',
		paid_hour: '2027-01-01 00:00:00+00',
		packed_hour: '2026-12-31 23:00:00',
	});
	expect(set.find((r) => r.id === '4')).toMatchObject({ age_band: null, device_class: 'Other', paid_hour: '2026-06-15 05:00:00+00', card_token: null });
	expect(one.card_token).toBe(three.card_token);
	expect(Object.keys(one)).not.toContain('gift_message');
	expect(one.email_hash16).toHaveLength(16);
});

test('an item with a key the policy does not cover is refused like an unlisted column', async () => {
	const t = policyTable(orders.policy, 'orders');
	const salts = await resolveActiveSalts(w.wh, w.secrets.salts, saltTypesOf(t));
	await expect(
		anonymiseItems(
			{ salts, hmacKey: w.secrets.hmacKey, lookups: warehouseLookups(w.wh), vault: w.vault },
			{ policy: orders.policy, table: t, asOf: '2026-11-25' },
			[{ id: 9, loyalty_card: '123' }],
		),
	).rejects.toThrow('Anonymisation policy kiffstore_db, table orders: column loyalty_card of raw.kiffstore_db__orders is not covered by the policy');
});
