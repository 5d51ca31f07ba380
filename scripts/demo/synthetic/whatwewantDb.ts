import { laterTime, pastTime, zarAmount } from './people';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	lists: {
		columns: `
			user_id bigint NOT NULL,
			-- Written by the owner ("Thandi's 30th"): free text (policy: suppress).
			title text NOT NULL,
			category text NOT NULL,
		`,
		watermark: 'updated_at',
	},
	items: {
		columns: `
			list_id bigint NOT NULL REFERENCES lists,
			name text NOT NULL,
			category text NOT NULL,
			price numeric(18,2),
			currency char(3) NOT NULL DEFAULT 'ZAR',
			fulfilled_at timestamptz,
		`,
		watermark: 'updated_at',
	},
	claims: {
		columns: `
			item_id bigint NOT NULL REFERENCES items,
			user_id bigint NOT NULL,
			status text NOT NULL DEFAULT 'claimed' CHECK (status IN ('claimed', 'released', 'bought')),
		`,
		watermark: 'updated_at',
	},
	purchases: {
		columns: `
			item_id bigint NOT NULL REFERENCES items,
			user_id bigint NOT NULL,
			amount numeric(18,2) NOT NULL,
			currency char(3) NOT NULL DEFAULT 'ZAR',
		`,
		watermark: 'created_at',
	},
} satisfies SourceTables;

const CATEGORIES = ['birthday', 'baby_shower', 'wedding', 'home', 'school'];
const ITEMS = ['Kettle', 'Air fryer', 'Baby monitor', 'School shoes', 'Braai stand', 'Duvet set', 'Headphones'];

/** whatwewant_db (WhatWeWantAPI, design §5): lists, items and claims change after insert (upsert); purchases append. */
export const whatwewantDb = syntheticSource('whatwewant_db', TABLES, {
	rows(f, rows, users) {
		const lists = Array.from({ length: Math.max(30, Math.round(rows / 25)) }, (_, i) => {
			const created = pastTime(f, 60, 60);
			return {
				id: i + 1,
				user_id: f.number.int({ min: 1, max: users }),
				title: `${f.person.firstName()}'s ${f.helpers.arrayElement(['party', 'wishlist', 'registry'])}`,
				category: f.helpers.arrayElement(CATEGORIES),
				created_at: created.toISOString(),
				updated_at: created.toISOString(),
			};
		});
		const items: Record<string, unknown>[] = [];
		const claims: Record<string, unknown>[] = [];
		const purchases: Record<string, unknown>[] = [];
		for (const l of lists) {
			for (let k = 0; k < f.number.int({ min: 1, max: 8 }); k++) {
				const created = laterTime(f, new Date(l.created_at), 60);
				const fulfilled = f.datatype.boolean(0.35) ? laterTime(f, created, 30) : null;
				const id = items.length + 1;
				const price = zarAmount(f, 50, 3_000);
				items.push({
					id,
					list_id: l.id,
					name: f.helpers.arrayElement(ITEMS),
					category: l.category,
					price,
					currency: 'ZAR',
					fulfilled_at: fulfilled?.toISOString() ?? null,
					created_at: created.toISOString(),
					updated_at: (fulfilled ?? created).toISOString(),
				});
				if (fulfilled) {
					const buyer = f.number.int({ min: 1, max: users });
					claims.push({
						id: claims.length + 1,
						item_id: id,
						user_id: buyer,
						status: 'bought',
						created_at: created.toISOString(),
						updated_at: fulfilled.toISOString(),
					});
					purchases.push({ id: purchases.length + 1, item_id: id, user_id: buyer, amount: price, currency: 'ZAR', created_at: fulfilled.toISOString() });
				}
			}
		}
		return { lists, items, claims, purchases };
	},
	async change(db) {
		const done = await db.query(
			`UPDATE items SET fulfilled_at = now(), updated_at = now() WHERE id IN (SELECT id FROM items WHERE fulfilled_at IS NULL ORDER BY id LIMIT 5)`,
		);
		return [`whatwewant_db.items: ${done.rowCount} items fulfilled`];
	},
});
