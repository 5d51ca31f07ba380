import type pg from 'pg';
import { APP_ACTIVITY, defineAppActivity } from './appActivity';
import type { EnrichRelationInput } from './config.schema';
import { enrichRelation, type EnrichRelationReport } from './enrichRelation';

/**
 * The enriched relations the dbt marts read (docs/dbt.md, design §7): the one definition of FX, temporal, session
 * and segment logic the marts share. Each is one Enrich Relation config; the list is in dependency order (the
 * cross-app events read the FX-enriched facts through intermediate.enr_app_activity, the users' segments read the
 * events). A step whose input does not exist yet (an app not live, Anonymise not run) is skipped, not failed.
 */
export interface MartInput {
	target: string;
	/** Anonymised relations the step needs; absent → skipped. */
	needs: string[];
	config: EnrichRelationInput;
}

/** The funnel of design §7.5: TagMe check-in → BidBaas bid → SDPKT payment, per user across sessions. */
export const CROSS_APP_FUNNEL = {
	id: 'tagme_checkin_bidbaas_bid_sdpkt_pay',
	steps: [
		{ app: 'tagme', event: 'checkin' },
		{ app: 'bidbaas', event: 'bid' },
		{ app: 'sdpkt', event: 'pay' },
	],
};

export function martInputs(opts: { asOf?: string } = {}): MartInput[] {
	return [
		{
			target: 'intermediate.enr_ledger_transactions',
			needs: ['intermediate.int_ledger_db__transactions'],
			config: {
				source: 'intermediate.int_ledger_db__transactions',
				target: 'intermediate.enr_ledger_transactions',
				families: { temporal: { timestampColumn: 'created_at' }, fx: { timestampColumn: 'created_at', amountColumn: 'amount_zar' } },
			},
		},
		{
			target: 'intermediate.enr_bidbaas_bids',
			needs: ['intermediate.int_bidbaas_db__bids'],
			config: {
				source: 'intermediate.int_bidbaas_db__bids',
				target: 'intermediate.enr_bidbaas_bids',
				families: { temporal: { timestampColumn: 'created_at' }, fx: { timestampColumn: 'created_at', amountColumn: 'amount', currencyColumn: 'currency' } },
			},
		},
		{
			target: 'intermediate.enr_sdpkt_payments',
			needs: ['intermediate.int_sdpkt_db__payments'],
			config: {
				source: 'intermediate.int_sdpkt_db__payments',
				target: 'intermediate.enr_sdpkt_payments',
				families: {
					temporal: { timestampColumn: 'created_at', countryColumn: 'country' },
					fx: { timestampColumn: 'created_at', amountColumn: 'amount', currencyColumn: 'currency' },
				},
			},
		},
		{
			target: 'intermediate.enr_app_events',
			needs: [],
			config: {
				source: APP_ACTIVITY,
				target: 'intermediate.enr_app_events',
				families: {
					temporal: { timestampColumn: 'event_time', countryColumn: 'country' },
					sessions: {
						timestampColumn: 'event_time',
						appColumn: 'app',
						eventColumn: 'event',
						funnel: { steps: CROSS_APP_FUNNEL.steps, scope: 'user' },
						attribution: { revenueColumn: 'revenue_zar' },
					},
				},
			},
		},
		{
			target: 'intermediate.enr_users',
			needs: ['intermediate.int_auth_db__users', 'intermediate.enr_app_events'],
			config: {
				source: 'intermediate.int_auth_db__users',
				target: 'intermediate.enr_users',
				families: {
					segments: {
						asOf: opts.asOf,
						activityRelation: 'intermediate.enr_app_events',
						activityTimestampColumn: 'event_time',
						activityAppColumn: 'app',
						revenueColumn: 'revenue_zar',
						kycRelation: 'intermediate.int_auth_db__kyc_records',
					},
				},
			},
		},
	];
}

export interface MartInputsReport {
	built: EnrichRelationReport[];
	/** target → why it was not built this run. */
	skipped: Record<string, string>;
}

const exists = async (db: pg.Pool, relation: string) =>
	(await db.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [relation])).rows[0].r !== null;

/**
 * Builds every mart input whose anonymised inputs exist, in order. `only` limits the run to some targets (what a
 * load changed) — the cross-app events and users are rebuilt whenever anything they read was. The KYC relation is
 * optional: without it kyc_tier is NULL rather than everyone 'no-kyc'.
 */
export async function enrichMartInputs(db: pg.Pool, opts: { asOf?: string; only?: string[]; log?: (m: string) => void } = {}): Promise<MartInputsReport> {
	const steps = martInputs(opts);
	const unknown = (opts.only ?? []).filter((t) => !steps.some((s) => s.target === t));
	if (unknown.length) throw new Error(`only: ${unknown.join(', ')} is not a mart input — one of: ${steps.map((s) => s.target).join(', ')}`);
	const built: EnrichRelationReport[] = [];
	const skipped: Record<string, string> = {};
	for (const step of steps) {
		const crossApp = step.target === 'intermediate.enr_app_events' || step.target === 'intermediate.enr_users';
		if (opts.only?.length && !opts.only.includes(step.target) && !(crossApp && built.length > 0)) continue;
		const absent: string[] = [];
		for (const r of step.needs) if (!(await exists(db, r))) absent.push(r);
		if (absent.length) {
			skipped[step.target] = `${absent.join(', ')} does not exist yet`;
			continue;
		}
		let config = step.config;
		if (step.target === 'intermediate.enr_app_events') {
			const activity = await defineAppActivity(db);
			if (activity.parts === 0) {
				skipped[step.target] = `no app's events are in intermediate yet (${activity.skipped.join('; ')})`;
				continue;
			}
		}
		if (step.target === 'intermediate.enr_users' && !(await exists(db, 'intermediate.int_auth_db__kyc_records'))) {
			const { kycRelation: _none, ...segments } = config.families.segments!;
			config = { ...config, families: { segments } };
		}
		built.push(await enrichRelation(db, config, opts.log));
	}
	return { built, skipped };
}
