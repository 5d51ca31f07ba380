import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from './awsS3';
import type { Readable } from 'node:stream';
import type { ObjectStoreConfig } from '../config/connection.schema';
import { SQL_IDENTIFIER } from '../config/identifiers';
import { multipartCopy, SINGLE_COPY_LIMIT } from './multipartCopy';
import { MIN_PART_SIZE, uploadStream, type StreamUploadResult } from './multipartUpload';
import { displayUrl } from '../privacy/redactUserinfo';
import { redactErrorText } from '../privacy/safeErrorText';

/**
 * Memory per upload is UPLOAD_PART_SIZE × (UPLOAD_QUEUE_SIZE + 1) reused buffers, 15 MiB, whatever the table size
 * (CSVs over 19.5 GiB move to bigger parts; see multipartUpload.ts). 5 MiB is S3's minimum part size.
 */
export const UPLOAD_PART_SIZE = MIN_PART_SIZE;
export const UPLOAD_QUEUE_SIZE = 2;

/**
 * CSV bodies are sent with `UNSIGNED-PAYLOAD` (the request itself stays SigV4-signed). Signing the payload makes the
 * SDK sha256 every part on the event loop and the server sha256 it again, a third and fourth pass over every byte;
 * the CSV's own sha256, recorded at extract and checked by the load before COMMIT, already proves end to end that
 * bronze got exactly the bytes Postgres wrote, whatever happened in transit. Over HTTPS TLS protects them as well.
 */
const UNSIGNED_BODY_COMMANDS = new Set(['UploadPartCommand', 'PutObjectCommand']);

export class CsvPathError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'CsvPathError';
	}
}

export interface StoredObject {
	key: string;
	size: number;
	lastModified: Date;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.csv$/;

export class ObjectStore {
	readonly client: S3Client;

	constructor(readonly cfg: ObjectStoreConfig) {
		this.client = new S3Client({
			endpoint: cfg.endpoint,
			region: cfg.region,
			forcePathStyle: cfg.forcePathStyle,
			credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
			requestChecksumCalculation: cfg.checksumMode === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
			responseChecksumValidation: cfg.checksumMode === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
			maxAttempts: 3,
		});
		this.client.middlewareStack.add(
			(next, context) => async (args) => {
				const request = args.request as { headers?: Record<string, string> };
				if (UNSIGNED_BODY_COMMANDS.has(context.commandName ?? '') && request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
				return next(args);
			},
			{ step: 'build', name: 'dwhUnsignedCsvPayload' },
		);
	}

	private base(): string {
		return this.cfg.prefix ? `${this.cfg.prefix}/` : '';
	}

	exportKey(table: string, fileName: string): string {
		return `${this.base()}exports/${table}/${fileName}`;
	}

	processedKeyFor(exportKey: string): string {
		const exportsRoot = `${this.base()}exports/`;
		if (!exportKey.startsWith(exportsRoot)) throw new CsvPathError(`${exportKey} is not under ${exportsRoot}`);
		return `${this.base()}processed/${exportKey.slice(exportsRoot.length)}`;
	}

	uri(key: string): string {
		return `s3://${this.cfg.bucket}/${key}`;
	}

	/**
	 * Accepts `s3://<bucket>/<prefix>/exports/<table>/<file>.csv` or the bare key, and returns the key.
	 * Everything else is refused before any request is made: another bucket, another table's folder,
	 * `processed/`, `..` segments, encoded traversal, or names that are not plain CSV file names.
	 */
	parseCsvPath(table: string, csvPath: string): string {
		if (!SQL_IDENTIFIER.test(table)) throw new CsvPathError(`table "${table}" is not a valid table name`);
		let key = csvPath.trim();
		if (key.startsWith('s3://')) {
			const rest = key.slice('s3://'.length);
			const slash = rest.indexOf('/');
			const bucket = slash < 0 ? rest : rest.slice(0, slash);
			if (bucket !== this.cfg.bucket) {
				throw new CsvPathError(`csvPath points at bucket "${bucket}", but the object-store credential's bucket is "${this.cfg.bucket}"`);
			}
			key = slash < 0 ? '' : rest.slice(slash + 1);
		}
		let decoded: string;
		try {
			decoded = decodeURIComponent(key);
		} catch {
			throw new CsvPathError(`csvPath "${csvPath}" is not a valid path`);
		}
		if (decoded !== key || key.includes('\\') || key.includes('\0')) {
			throw new CsvPathError(`csvPath "${csvPath}" contains encoded or control characters; give the plain key`);
		}
		const segments = key.split('/');
		if (segments.some((s) => s === '..' || s === '.' || s === '')) {
			throw new CsvPathError(`csvPath "${csvPath}" contains empty, "." or ".." segments`);
		}
		const expectedDir = this.exportKey(table, '');
		if (!key.startsWith(expectedDir)) {
			throw new CsvPathError(`csvPath "${csvPath}" is outside ${this.uri(expectedDir)} — a load only reads CSVs from its own table's exports/ folder`);
		}
		const fileName = key.slice(expectedDir.length);
		if (!FILE_NAME.test(fileName)) {
			throw new CsvPathError(`csvPath "${csvPath}" must name a .csv file directly inside ${this.uri(expectedDir)}`);
		}
		return key;
	}

	/** Streams a body into `key` (multipart when over one part) from a fixed pool of reused part buffers. */
	upload(key: string, body: AsyncIterable<Uint8Array>, opts: { contentType?: string; beforeComplete?: () => Promise<void> } = {}): Promise<StreamUploadResult> {
		return uploadStream(this.client, body, {
			bucket: this.cfg.bucket,
			key,
			contentType: opts.contentType ?? 'text/csv; charset=utf-8',
			beforeComplete: opts.beforeComplete,
			partSize: UPLOAD_PART_SIZE,
			concurrency: UPLOAD_QUEUE_SIZE,
			withChecksums: this.cfg.checksumMode === 'when_supported',
		});
	}

	async download(key: string): Promise<Readable> {
		const res = await this.client.send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
		if (!res.Body) throw new Error(`object ${this.uri(key)} has no body`);
		return res.Body as Readable;
	}

	async size(key: string): Promise<number | null> {
		try {
			const head = await this.client.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
			return head.ContentLength ?? 0;
		} catch (err) {
			if (isNotFound(err)) return null;
			throw err;
		}
	}

	/**
	 * Copy, verify the copy's size, then delete the original (manual §4 D step 8: never delete before the copy is
	 * confirmed). Idempotent: when the original is already gone but the copy is there, the move is complete.
	 */
	async move(fromKey: string, toKey: string, expectedBytes: number | null): Promise<void> {
		const sourceSize = await this.size(fromKey);
		if (sourceSize === null) {
			const copied = await this.size(toKey);
			if (copied !== null && (expectedBytes === null || copied === expectedBytes)) return;
			throw new Error(`cannot move ${this.uri(fromKey)}: it does not exist and ${this.uri(toKey)} is not a complete copy`);
		}
		if (sourceSize > SINGLE_COPY_LIMIT) {
			await multipartCopy(this.client, this.cfg.bucket, fromKey, toKey, sourceSize);
		} else {
			await this.client.send(
				new CopyObjectCommand({
					Bucket: this.cfg.bucket,
					Key: toKey,
					CopySource: `${this.cfg.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
				}),
			);
		}
		const copiedSize = await this.size(toKey);
		if (copiedSize !== sourceSize || (expectedBytes !== null && copiedSize !== expectedBytes)) {
			throw new Error(`copy of ${this.uri(fromKey)} to ${this.uri(toKey)} has ${copiedSize} bytes, expected ${expectedBytes ?? sourceSize}; original kept`);
		}
		await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: fromKey }));
	}

	async delete(key: string): Promise<void> {
		await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
	}

	async list(prefix: string): Promise<string[]> {
		return (await this.listObjects(prefix)).map((o) => o.key);
	}

	/** Every object under `prefix` with its size and last-modified time (what lifecycle expiry goes by). */
	async listObjects(prefix: string): Promise<StoredObject[]> {
		const out: StoredObject[] = [];
		let token: string | undefined;
		do {
			const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: prefix, ContinuationToken: token }));
			for (const o of res.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
			token = res.IsTruncated ? res.NextContinuationToken : undefined;
		} while (token);
		return out;
	}

	/** Credential test: the bucket exists and the prefix can be listed with these keys. */
	async test(): Promise<{ ok: boolean; message: string }> {
		try {
			await this.client.send(new HeadBucketCommand({ Bucket: this.cfg.bucket }));
			await this.client.send(new ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: this.base(), MaxKeys: 1 }));
			return { ok: true, message: `Bucket ${this.cfg.bucket} is reachable` };
		} catch (err) {
			return { ok: false, message: describeObjectStoreError(err, this.cfg) };
		}
	}
}

export function isNotFound(err: unknown): boolean {
	const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
	return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

export function describeObjectStoreError(err: unknown, cfg: Pick<ObjectStoreConfig, 'bucket' | 'endpoint'>): string {
	const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
	const status = e.$metadata?.httpStatusCode;
	const where = cfg.endpoint ? displayUrl(cfg.endpoint) : 'AWS S3';
	if (e.code === 'ECONNREFUSED' || e.name === 'ECONNREFUSED') return `Nothing is listening at ${where} — check Endpoint and that the S3 server is running.`;
	if (e.code === 'ENOTFOUND') return `Endpoint host of ${where} cannot be resolved — check Endpoint.`;
	if (status === 404 || e.name === 'NotFound' || e.name === 'NoSuchBucket') return `Bucket "${cfg.bucket}" not found at ${where} — create it or fix Bucket.`;
	if (status === 403 || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch' || e.name === 'AccessDenied') {
		return `Access to bucket "${cfg.bucket}" denied at ${where} — check Access Key ID and Secret Access Key, and that the key may list the prefix.`;
	}
	return `Object store at ${where} failed: ${e.name ?? ''} ${redactErrorText(e.message ?? String(err))}`.trim();
}
