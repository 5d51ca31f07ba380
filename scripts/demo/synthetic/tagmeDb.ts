import type { Faker } from '@faker-js/faker';
import { insertNewRows } from './insertRows';
import { laterTime, pastTime, pickCity, pointNear, stampedAt, zarAmount } from './people';
import { LANDMARKS, POI_CATEGORIES, SA_CITIES } from './places';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	points_of_interest: {
		columns: `
			name text NOT NULL,
			category text NOT NULL,
			city text NOT NULL,
			province text NOT NULL,
			lat numeric(9,6) NOT NULL,
			lng numeric(9,6) NOT NULL,
		`,
		watermark: 'updated_at',
		index: false,
	},
	check_ins: {
		columns: `
			user_id bigint NOT NULL,
			poi_id bigint NOT NULL REFERENCES points_of_interest,
			lat numeric(9,6) NOT NULL,
			lng numeric(9,6) NOT NULL,
			accuracy_m integer,
			device_id text,
			note text,
		`,
		watermark: 'created_at',
	},
	tags: {
		columns: `
			check_in_id bigint NOT NULL REFERENCES check_ins,
			user_id bigint NOT NULL,
			tag text NOT NULL,
			hidden boolean NOT NULL DEFAULT false,
		`,
		watermark: 'updated_at',
	},
	user_locations: {
		columns: `
			user_id bigint NOT NULL,
			-- TagMeAPI stores user positions already rounded to ~1 km (design doc §5: "user_locations (rounded)").
			lat_rounded numeric(5,2) NOT NULL,
			lng_rounded numeric(5,2) NOT NULL,
			source text NOT NULL,
		`,
		watermark: 'created_at',
	},
	events: {
		columns: `
			poi_id bigint NOT NULL REFERENCES points_of_interest,
			title text NOT NULL,
			starts_at timestamptz NOT NULL,
			ends_at timestamptz NOT NULL,
			ticket_price_zar numeric(10,2),
			status text NOT NULL DEFAULT 'scheduled',
		`,
		watermark: 'updated_at',
	},
} satisfies SourceTables;

export const TAGS = [
	'lekker',
	'braai',
	'vibes',
	'family',
	'date-night',
	'sunset',
	'live-music',
	'load-shedding-friendly',
	'pet-friendly',
	'student-deal',
	'halaal',
	'free-wifi',
];
/** Also the labelled PII corpus's lookalikes: event names that are not people (scripts/pii-detectors). */
export const EVENT_TITLES = [
	'Jazz on the Lawn',
	'Sunday Braai Fest',
	'Amapiano Night',
	'Craft Beer Market',
	'Heritage Day Picnic',
	'Comedy Night',
	'Makers Market',
	'Park Run Social',
	'Gospel Sunday',
	'Kasi Food Festival',
];

function checkIn(f: Faker, pois: { id: number; lat: number; lng: number }[], users: number, createdAt: Date | null): Record<string, unknown> {
	const poi = f.helpers.arrayElement(pois);
	const jitter = (x: number) => (x + f.number.float({ min: -0.0008, max: 0.0008 })).toFixed(6);
	return {
		user_id: f.number.int({ min: 1, max: users }),
		poi_id: poi.id,
		lat: jitter(poi.lat),
		lng: jitter(poi.lng),
		accuracy_m: f.number.int({ min: 3, max: 60 }),
		device_id: f.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
		note: f.datatype.boolean(0.3)
			? f.helpers.arrayElement([
					'Sho, great spot!',
					'Queue was long but worth it',
					'Vibes 🔥',
					'Parking is a mission, "arrive early"',
					'Braai, beers, good people',
					'Eish, load-shedding again\nbut the gas stove saved us',
			  ])
			: null,
		...stampedAt(createdAt),
	};
}

/**
 * tagme_db (TagMeAPI): points_of_interest is a small dimension (snapshot); check_ins and user_locations are
 * append-only on created_at; tags and events change after insert (moderation, reschedules) and go by updated_at.
 */
export const tagmeDb = syntheticSource('tagme_db', TABLES, {
	rows(f, rows, users) {
		const pois = [
			...LANDMARKS.map((l) => ({ ...l, city: SA_CITIES.find((c) => c.name === l.city)! })),
			...Array.from({ length: Math.max(30, Math.round(rows / 50)) }, () => {
				const city = pickCity(f);
				const category = f.helpers.arrayElement(POI_CATEGORIES);
				return {
					name: `${f.location.street()} ${
						category === 'coffee'
							? 'Coffee Roasters'
							: category === 'food'
							? 'Shisanyama'
							: f.helpers.arrayElement(['Market', 'Park', 'Centre', 'Lounge', 'Plaza'])
					}`,
					city,
					category,
				};
			}),
		].map((p, i) => {
			const at = pointNear(f, p.city, 8);
			const created = pastTime(f, 900, 30);
			return {
				id: i + 1,
				name: p.name,
				category: p.category,
				city: p.city.name,
				province: p.city.province,
				lat: at.lat,
				lng: at.lng,
				created_at: created.toISOString(),
				updated_at: laterTime(f, created, 30).toISOString(),
			};
		});
		const checkIns: Record<string, unknown>[] = Array.from({ length: rows }, (_, i) => ({ id: i + 1, ...checkIn(f, pois, users, pastTime(f, 90, 30)) }));
		const tags = checkIns
			.filter(() => f.datatype.boolean(0.4))
			.map((c, i) => {
				const created = laterTime(f, new Date(c.created_at as string), 30);
				return {
					id: i + 1,
					check_in_id: c.id,
					user_id: c.user_id,
					tag: f.helpers.arrayElement(TAGS),
					created_at: created.toISOString(),
					updated_at: created.toISOString(),
				};
			});
		const locations = Array.from({ length: rows }, (_, i) => {
			const at = pointNear(f, pickCity(f), 20);
			return {
				id: i + 1,
				user_id: f.number.int({ min: 1, max: users }),
				lat_rounded: at.lat.toFixed(2),
				lng_rounded: at.lng.toFixed(2),
				source: f.helpers.arrayElement(['gps', 'network', 'wifi']),
				created_at: pastTime(f, 30, 30).toISOString(),
			};
		});
		const events = Array.from({ length: Math.max(10, Math.round(rows / 40)) }, (_, i) => {
			const created = pastTime(f, 60, 30);
			const starts = new Date(created.getTime() + f.number.int({ min: 1, max: 45 }) * 86_400_000);
			return {
				id: i + 1,
				poi_id: f.helpers.arrayElement(pois).id,
				title: f.helpers.arrayElement(EVENT_TITLES),
				starts_at: starts.toISOString(),
				ends_at: new Date(starts.getTime() + f.number.int({ min: 2, max: 10 }) * 3_600_000).toISOString(),
				ticket_price_zar: f.datatype.boolean(0.3) ? null : zarAmount(f, 50, 650),
				status: 'scheduled',
				created_at: created.toISOString(),
				updated_at: created.toISOString(),
			};
		});
		return { points_of_interest: pois, check_ins: checkIns, tags, user_locations: locations, events };
	},
	async change(db, f, rows, users) {
		const { rows: pois } = await db.query<{ id: number; lat: number; lng: number }>(
			'SELECT id::int, lat::float8 AS lat, lng::float8 AS lng FROM points_of_interest',
		);
		const n = Math.max(10, Math.round(rows / 10));
		await insertNewRows(db, 'check_ins', n, () => checkIn(f, pois, users, null));
		// A place name that is not also a person's: "Zeitz MOCAA" reads as a surname + a word to the PII gate's name
		// detector, which (rightly, for a column that may hold names) stops the Anonymise build.
		const newPoi = await db.query(
			`INSERT INTO points_of_interest (name, category, city, province, lat, lng) VALUES ('Iziko South African Museum', 'museum', 'Cape Town', 'Western Cape', -33.929020, 18.417340)`,
		);
		const moved = await db.query(
			`UPDATE events SET starts_at = starts_at + interval '7 days', ends_at = ends_at + interval '7 days', status = 'rescheduled', updated_at = now()
			  WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 3)`,
		);
		const hidden = await db.query(`UPDATE tags SET hidden = true, updated_at = now() WHERE id IN (SELECT id FROM tags ORDER BY id LIMIT 4)`);
		return [
			`tagme_db.check_ins: ${n} new check-ins`,
			`tagme_db.tags: ${hidden.rowCount} tags hidden by moderators`,
			`tagme_db.points_of_interest: ${newPoi.rowCount} new place (snapshot table: the whole table is re-read)`,
			`tagme_db.events: ${moved.rowCount} events rescheduled`,
		];
	},
});
