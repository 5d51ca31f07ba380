import type { Faker } from '@faker-js/faker';
import { insertNewRows } from './insertRows';
import { laterTime, pastTime, stampedAt, zarAmount } from './people';
import { SA_CITIES } from './places';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	searches: {
		columns: `
			user_id bigint NOT NULL,
			destination_city text NOT NULL,
			check_in date,
			check_out date,
			guests integer NOT NULL DEFAULT 1,
		`,
		watermark: 'created_at',
	},
	clicks: {
		columns: `
			search_id bigint NOT NULL REFERENCES searches,
			user_id bigint NOT NULL,
			listing_id bigint NOT NULL,
		`,
		watermark: 'created_at',
	},
	bookings_attributed: {
		columns: `
			click_id bigint NOT NULL REFERENCES clicks,
			user_id bigint NOT NULL,
			amount numeric(18,2) NOT NULL,
			currency char(3) NOT NULL DEFAULT 'ZAR',
			status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'cancelled')),
		`,
		watermark: 'updated_at',
	},
} satisfies SourceTables;

function search(f: Faker, users: number, at: Date | null): Record<string, unknown> {
	const from = new Date(Date.now() + f.number.int({ min: 3, max: 90 }) * 86_400_000);
	return {
		user_id: f.number.int({ min: 1, max: users }),
		destination_city: f.helpers.weightedArrayElement(
			SA_CITIES.map((c) => ({ value: c.name, weight: c.name === 'Cape Town' || c.name === 'Durban' ? 12 : c.weight })),
		),
		check_in: from.toISOString().slice(0, 10),
		check_out: new Date(from.getTime() + f.number.int({ min: 1, max: 7 }) * 86_400_000).toISOString().slice(0, 10),
		guests: f.number.int({ min: 1, max: 5 }),
		...stampedAt(at),
	};
}

/** takemehome_db (TakemehomeAPI, design §5): searches and clicks append on created_at; bookings change status (upsert). */
export const takemehomeDb = syntheticSource('takemehome_db', TABLES, {
	rows(f, rows, users) {
		const searches: Record<string, unknown>[] = Array.from({ length: Math.max(100, Math.round(rows / 4)) }, (_, i) => ({
			id: i + 1,
			...search(f, users, pastTime(f, 60, 30)),
		}));
		const clicks = searches
			.filter(() => f.datatype.boolean(0.5))
			.map((s, i) => ({
				id: i + 1,
				search_id: s.id,
				user_id: s.user_id,
				listing_id: f.number.int({ min: 1000, max: 9999 }),
				created_at: laterTime(f, new Date(s.created_at as string), 30).toISOString(),
			}));
		const bookings = clicks
			.filter(() => f.datatype.boolean(0.2))
			.map((c, i) => {
				const created = laterTime(f, new Date(c.created_at), 30);
				return {
					id: i + 1,
					click_id: c.id,
					user_id: c.user_id,
					amount: zarAmount(f, 600, 12_000),
					currency: 'ZAR',
					status: f.helpers.arrayElement(['confirmed', 'confirmed', 'cancelled']),
					created_at: created.toISOString(),
					updated_at: created.toISOString(),
				};
			});
		return { searches, clicks, bookings_attributed: bookings };
	},
	async change(db, f, rows, users) {
		const n = Math.max(10, Math.round(rows / 50));
		await insertNewRows(db, 'searches', n, () => search(f, users, null));
		return [`takemehome_db.searches: ${n} new searches`];
	},
});
