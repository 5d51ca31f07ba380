import { objectStoreSchema } from '../config/connection.schema';
import { ObjectStore } from '../transport/objectStore';
import { UsageError } from './warehouseUrl';

/** Where the dwh-* commands find the object store: environment variables, so keys never appear in argv or shell history. */
export const OBJECT_STORE_ENV_HELP = `$DWH_S3_ENDPOINT, $DWH_S3_REGION, $DWH_S3_BUCKET, $DWH_S3_PREFIX,
$DWH_S3_ACCESS_KEY_ID, $DWH_S3_SECRET_ACCESS_KEY`;

/** null when DWH_S3_BUCKET is unset; the keys are then required. */
export function objectStoreFromEnv(env: NodeJS.ProcessEnv = process.env): ObjectStore | null {
	if (!env.DWH_S3_BUCKET) return null;
	const missing = ['DWH_S3_ACCESS_KEY_ID', 'DWH_S3_SECRET_ACCESS_KEY'].filter((k) => !env[k]);
	if (missing.length) throw new UsageError(`DWH_S3_BUCKET is set, so the object store is used: set ${missing.join(', ')} too.`);
	const parsed = objectStoreSchema.safeParse({
		endpoint: env.DWH_S3_ENDPOINT ?? '',
		region: env.DWH_S3_REGION || undefined,
		bucket: env.DWH_S3_BUCKET,
		prefix: env.DWH_S3_PREFIX || undefined,
		accessKeyId: env.DWH_S3_ACCESS_KEY_ID,
		secretAccessKey: env.DWH_S3_SECRET_ACCESS_KEY,
	});
	if (!parsed.success) throw new UsageError(`The object store (DWH_S3_*): ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
	return new ObjectStore(parsed.data);
}
