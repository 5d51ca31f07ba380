import { insertRows } from './insertRows';
import { pastTime, zarAmount } from './people';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	auctions: {
		columns: `
			seller_id bigint NOT NULL,
			-- Written by the seller: free text that can carry a name or a phone number (policy: suppress).
			title text NOT NULL,
			category text NOT NULL,
			currency char(3) NOT NULL DEFAULT 'ZAR',
			start_price numeric(18,2) NOT NULL,
			reserve_price numeric(18,2),
			status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'settled', 'cancelled')),
			starts_at timestamptz NOT NULL,
			ends_at timestamptz NOT NULL,
		`,
		watermark: 'updated_at',
	},
	bids: {
		columns: `
			auction_id bigint NOT NULL REFERENCES auctions,
			user_id bigint NOT NULL,
			amount numeric(18,2) NOT NULL CHECK (amount > 0),
			currency char(3) NOT NULL DEFAULT 'ZAR',
			device_id text,
		`,
		watermark: 'created_at',
	},
	winners: {
		columns: `
			auction_id bigint NOT NULL UNIQUE REFERENCES auctions,
			bid_id bigint NOT NULL REFERENCES bids,
			user_id bigint NOT NULL,
			amount numeric(18,2) NOT NULL,
			currency char(3) NOT NULL DEFAULT 'ZAR',
		`,
		watermark: 'created_at',
	},
	payouts: {
		columns: `
			auction_id bigint NOT NULL REFERENCES auctions,
			user_id bigint NOT NULL,
			amount numeric(18,2) NOT NULL,
			fee numeric(18,2) NOT NULL,
			currency char(3) NOT NULL DEFAULT 'ZAR',
			bank_account text NOT NULL,
			status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
			paid_at timestamptz,
		`,
		watermark: 'updated_at',
	},
} satisfies SourceTables;

/** Categories with their price range in the auction's currency; collectables are priced in USD (exercises FX). */
const CATEGORIES: { category: string; min: number; max: number; currency: string }[] = [
	{ category: 'electronics', min: 150, max: 18_000, currency: 'ZAR' },
	{ category: 'vehicles', min: 20_000, max: 350_000, currency: 'ZAR' },
	{ category: 'fashion', min: 50, max: 4_000, currency: 'ZAR' },
	{ category: 'home_garden', min: 80, max: 9_000, currency: 'ZAR' },
	{ category: 'collectables', min: 10, max: 2_500, currency: 'USD' },
];
const TITLE_WORDS = ['Barely used', 'Vintage', 'Boxed', 'Like new', 'Collector’s', 'Urgent sale:', 'Moving sale:'];
const HOUR = 3_600_000;
const FEE_RATE = 0.08;

/**
 * bidbaas_db (BidBaasAPI, design doc §5): auctions open, close and settle after insert (upsert on updated_at); bids
 * and winners are immutable events (append on created_at); a settled auction's payout to the seller goes
 * pending → paid (upsert on updated_at).
 */
export const bidbaasDb = syntheticSource('bidbaas_db', TABLES, {
	rows(f, rows, users) {
		const nAuctions = Math.max(40, Math.round(rows / 20));
		const auctions: Record<string, unknown>[] = [];
		const bids: Record<string, unknown>[] = [];
		const winners: Record<string, unknown>[] = [];
		const payouts: Record<string, unknown>[] = [];
		for (let a = 1; a <= nAuctions; a++) {
			const cat = f.helpers.arrayElement(CATEGORIES);
			const seller = f.number.int({ min: 1, max: users });
			const starts = pastTime(f, 60, 120);
			const ends = new Date(starts.getTime() + f.number.int({ min: 1, max: 7 * 24 }) * HOUR);
			const start = Number(zarAmount(f, cat.min, cat.max));
			const reserve = f.datatype.boolean(0.4) ? Number((start * 1.3).toFixed(2)) : null;
			const lastBidAt = Math.min(ends.getTime(), Date.now() - 30 * 60_000);
			let price = start;
			let top: { id: number; user: number; amount: number } | null = null;
			const nBids = f.number.int({ min: 0, max: 9 });
			const times = Array.from({ length: nBids }, () => f.number.int({ min: starts.getTime(), max: Math.max(starts.getTime(), lastBidAt) })).sort(
				(x, y) => x - y,
			);
			for (const t of times) {
				price = Number((price * f.number.float({ min: 1.02, max: 1.25 })).toFixed(2));
				const bidder = f.number.int({ min: 1, max: users });
				const id = bids.length + 1;
				bids.push({
					id,
					auction_id: a,
					user_id: bidder,
					amount: price.toFixed(2),
					currency: cat.currency,
					device_id: f.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
					created_at: new Date(t).toISOString(),
				});
				top = { id, user: bidder, amount: price };
			}
			const ended = ends.getTime() < Date.now();
			const sold = ended && top !== null && (reserve === null || top.amount >= reserve);
			const status = !ended ? 'open' : sold ? 'settled' : f.datatype.boolean(0.1) ? 'cancelled' : 'closed';
			auctions.push({
				id: a,
				seller_id: seller,
				title: `${f.helpers.arrayElement(TITLE_WORDS)} ${f.commerce.productName()}`,
				category: cat.category,
				currency: cat.currency,
				start_price: start.toFixed(2),
				reserve_price: reserve?.toFixed(2) ?? null,
				status,
				starts_at: starts.toISOString(),
				ends_at: ends.toISOString(),
				created_at: starts.toISOString(),
				updated_at: (ended ? ends : starts).toISOString(),
			});
			if (sold && top) {
				winners.push({
					id: winners.length + 1,
					auction_id: a,
					bid_id: top.id,
					user_id: top.user,
					amount: top.amount.toFixed(2),
					currency: cat.currency,
					created_at: ends.toISOString(),
				});
				const paid = f.datatype.boolean(0.8);
				const paidAt = new Date(Math.min(ends.getTime() + 48 * HOUR, Date.now() - 60 * 60_000));
				payouts.push({
					id: payouts.length + 1,
					auction_id: a,
					user_id: seller,
					amount: (top.amount * (1 - FEE_RATE)).toFixed(2),
					fee: (top.amount * FEE_RATE).toFixed(2),
					currency: cat.currency,
					bank_account: `62${f.string.numeric(9)}`,
					status: paid ? 'paid' : 'pending',
					paid_at: paid ? paidAt.toISOString() : null,
					created_at: ends.toISOString(),
					updated_at: (paid ? paidAt : ends).toISOString(),
				});
			}
		}
		return { auctions, bids, winners, payouts };
	},
	async change(db, f, rows, users) {
		// New bids on open auctions, each above the auction's current price, stamped now() as BidBaasAPI does.
		const { rows: open } = await db.query<{ id: string; currency: string; price: string }>(
			`SELECT a.id::text, a.currency, coalesce(max(b.amount), a.start_price)::text AS price
			   FROM auctions a LEFT JOIN bids b ON b.auction_id = a.id WHERE a.status = 'open' GROUP BY a.id ORDER BY a.id LIMIT 20`,
		);
		const newBids = open.map((a) => ({
			auction_id: a.id,
			user_id: f.number.int({ min: 1, max: users }),
			amount: (Number(a.price) * 1.1).toFixed(2),
			currency: a.currency,
			device_id: f.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
		}));
		await insertRows(db, 'bids', newBids);
		// Pending payouts are paid out.
		const paid = await db.query(
			`UPDATE payouts SET status = 'paid', paid_at = now(), updated_at = now() WHERE id IN (SELECT id FROM payouts WHERE status = 'pending' ORDER BY id LIMIT 5)`,
		);
		return [`bidbaas_db.bids: ${newBids.length} new bids on open auctions`, `bidbaas_db.payouts: ${paid.rowCount} payouts paid`];
	},
});
