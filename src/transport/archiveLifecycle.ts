import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, type LifecycleRule } from './awsS3';
import type { ObjectStore } from './objectStore';

/**
 * The archive's lifecycle on the object store itself (issue 12 item 2): one expiration rule per CSV area of the
 * credential's prefix (<prefix>/exports/, <prefix>/processed/), so a server with lifecycle support (MinIO, S3) removes
 * the CSVs by itself after the registry's retention.archive_days. A bucket's lifecycle configuration is one document,
 * replaced whole by every PUT: the rules of other prefixes (and every rule this pack did not write) are read first and
 * written back unchanged. Servers without lifecycle support (s3rver) answer NotImplemented; there the archive sweep
 * (src/control/sweepArchive.ts) deletes expired objects instead.
 */
export const ARCHIVE_AREAS = ['exports', 'processed'] as const;
export type ArchiveArea = (typeof ARCHIVE_AREAS)[number];

const RULE_ID_PREFIX = 'dataacuity-archive:';

export function archiveAreaPrefix(store: ObjectStore, area: ArchiveArea): string {
	return `${store.cfg.prefix ? `${store.cfg.prefix}/` : ''}${area}/`;
}

/** The rules this pack owns for the store's prefix: ids name the area prefix, so two prefixes in one bucket coexist. */
export function archiveLifecycleRules(store: ObjectStore, days: number): LifecycleRule[] {
	return ARCHIVE_AREAS.map((area) => {
		const prefix = archiveAreaPrefix(store, area);
		return {
			ID: `${RULE_ID_PREFIX}${prefix}`,
			Status: 'Enabled',
			Filter: { Prefix: prefix },
			Expiration: { Days: days },
			// On a versioned bucket an expiry only hides the object behind a delete marker; the CSV's bytes must go too.
			NoncurrentVersionExpiration: { NoncurrentDays: 1 },
		};
	});
}

export interface LifecycleResult {
	/** false: the server has no lifecycle support (NotImplemented); nothing was changed, the sweep has to do it. */
	supported: boolean;
	/** The pack's rules now on the bucket (none when unsupported). */
	rules: LifecycleRule[];
	/** Rules of the bucket this pack did not write, kept as they were. */
	otherRules: number;
	dryRun: boolean;
}

function notImplemented(err: unknown): boolean {
	const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
	return e.name === 'NotImplemented' || e.Code === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
}

function missingConfiguration(err: unknown): boolean {
	const e = err as { name?: string; Code?: string };
	return e.name === 'NoSuchLifecycleConfiguration' || e.Code === 'NoSuchLifecycleConfiguration';
}

export async function readLifecycleRules(store: ObjectStore): Promise<LifecycleRule[] | null> {
	try {
		const res = await store.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: store.cfg.bucket }));
		return res.Rules ?? [];
	} catch (err) {
		if (missingConfiguration(err)) return [];
		if (notImplemented(err)) return null;
		throw err;
	}
}

export function isPackRule(rule: LifecycleRule, store: ObjectStore): boolean {
	return ARCHIVE_AREAS.some((area) => rule.ID === `${RULE_ID_PREFIX}${archiveAreaPrefix(store, area)}`);
}

export async function applyArchiveLifecycle(store: ObjectStore, days: number, opts: { dryRun?: boolean } = {}): Promise<LifecycleResult> {
	if (!Number.isInteger(days) || days < 1) throw new Error(`archive retention must be a whole number of days ≥ 1, got ${days}`);
	const existing = await readLifecycleRules(store);
	if (existing === null) return { supported: false, rules: [], otherRules: 0, dryRun: Boolean(opts.dryRun) };
	const others = existing.filter((r) => !isPackRule(r, store));
	const rules = archiveLifecycleRules(store, days);
	if (!opts.dryRun) {
		try {
			await store.client.send(
				new PutBucketLifecycleConfigurationCommand({ Bucket: store.cfg.bucket, LifecycleConfiguration: { Rules: [...others, ...rules] } }),
			);
		} catch (err) {
			if (notImplemented(err)) return { supported: false, rules: [], otherRules: others.length, dryRun: false };
			throw err;
		}
	}
	return { supported: true, rules, otherRules: others.length, dryRun: Boolean(opts.dryRun) };
}
