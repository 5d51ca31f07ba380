import {
	AbortMultipartUploadCommand,
	CompleteMultipartUploadCommand,
	CreateMultipartUploadCommand,
	PutObjectCommand,
	UploadPartCommand,
	type CompletedPart,
	type S3Client,
} from './awsS3';

/** S3's limits for one multipart upload. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;

/**
 * Part size by part number: 5 MiB parts for the first 4,000 (19.5 GiB, which covers every table we know of), then
 * 25 MiB, then 125 MiB, so one upload can still reach ~361 GiB within S3's 10,000 parts. Only exports that big pay
 * the bigger buffers; S3 accepts parts of different sizes as long as all but the last are >= 5 MiB.
 */
const PART_SIZE_STEPS: ReadonlyArray<{ throughPart: number; multiple: number }> = [
	{ throughPart: 4_000, multiple: 1 },
	{ throughPart: 8_000, multiple: 5 },
	{ throughPart: MAX_PARTS, multiple: 25 },
];

export function partSizeFor(partNumber: number, basePartSize: number): number {
	for (const step of PART_SIZE_STEPS) if (partNumber <= step.throughPart) return basePartSize * step.multiple;
	throw new Error(`part ${partNumber} is beyond S3's limit of ${MAX_PARTS} parts per upload`);
}

/** The most bytes one upload can take with this base part size. */
export function maxUploadBytes(basePartSize: number): number {
	let total = 0;
	let from = 1;
	for (const step of PART_SIZE_STEPS) {
		total += (step.throughPart - from + 1) * basePartSize * step.multiple;
		from = step.throughPart + 1;
	}
	return total;
}

export interface StreamUploadTarget {
	bucket: string;
	key: string;
	contentType: string;
	/** Size of the first parts; S3's minimum (5 MiB) unless a test wants something else. */
	partSize?: number;
	/** Parts on the wire at once, while one more fills. */
	concurrency?: number;
	/** Set when the client sends CRC32 request checksums, so the completed upload carries them too. */
	withChecksums?: boolean;
	/**
	 * Runs once every byte is on the server but before the object exists (before CompleteMultipartUpload, or before the
	 * single PutObject of a small body). If it throws, the upload is aborted and no object appears. The overlapped
	 * load does its merge here, so its CSV appears in processed/ only a moment before the load's COMMIT.
	 */
	beforeComplete?: () => Promise<void>;
}

export interface StreamUploadResult {
	bytes: number;
	/** 0 when the object was small enough for a single PutObject. */
	parts: number;
}

/**
 * Streams a body into one S3 object from a fixed pool of (concurrency + 1) part buffers that are filled, sent and
 * reused. Memory is those buffers and nothing else: lib-storage's Upload allocates a fresh concatenated Buffer per part,
 * and at extract speed V8 leaves tens of MB of dead part buffers uncollected (the 5M-row benchmark's peak RSS; see
 * docs/BENCHMARKS.md). Reading the body waits while every buffer is in flight, so a slow S3 server slows the COPY
 * instead of filling memory. A body that fits one part goes up as a single PutObject. Any failure aborts the
 * multipart upload so no orphan parts are left behind, and is rethrown.
 */
export async function uploadStream(client: S3Client, body: AsyncIterable<Uint8Array>, target: StreamUploadTarget): Promise<StreamUploadResult> {
	const basePartSize = target.partSize ?? MIN_PART_SIZE;
	const concurrency = Math.max(1, target.concurrency ?? 2);
	const { bucket, key } = target;

	const free: Buffer[] = [];
	let allocated = 0;
	const inFlight = new Set<Promise<void>>();
	const completed: CompletedPart[] = [];
	let failure: unknown = null;
	let uploadId: string | undefined;
	let partNumber = 0;
	let bytes = 0;

	const bufferFor = async (size: number): Promise<Buffer> => {
		for (;;) {
			if (failure) throw failure;
			const reusable = free.pop();
			if (reusable && reusable.length === size) return reusable;
			if (reusable) allocated -= 1; // a smaller buffer from before the part size grew: let it go
			if (allocated < concurrency + 1) {
				allocated += 1;
				return Buffer.allocUnsafeSlow(size);
			}
			await Promise.race(inFlight);
		}
	};

	const sendPart = async (buffer: Buffer, length: number): Promise<void> => {
		if (failure) throw failure;
		if (uploadId === undefined) {
			const created = await client.send(
				new CreateMultipartUploadCommand({
					Bucket: bucket,
					Key: key,
					ContentType: target.contentType,
					...(target.withChecksums ? { ChecksumAlgorithm: 'CRC32' } : {}),
				}),
			);
			if (!created.UploadId) throw new Error(`S3 gave no UploadId for ${key}`);
			uploadId = created.UploadId;
		}
		partNumber += 1;
		if (partNumber > MAX_PARTS) {
			throw new Error(
				`the CSV for ${key} is bigger than one S3 upload can hold (${(maxUploadBytes(basePartSize) / 1024 ** 3).toFixed(
					0,
				)} GiB); extract it in smaller windows`,
			);
		}
		const thisPart = partNumber;
		const sent = client
			.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: thisPart, Body: buffer.subarray(0, length) }))
			.then((res) => {
				if (!res.ETag) throw new Error(`S3 returned no ETag for part ${thisPart} of ${key}`);
				completed.push({ PartNumber: thisPart, ETag: res.ETag, ...(res.ChecksumCRC32 ? { ChecksumCRC32: res.ChecksumCRC32 } : {}) });
				free.push(buffer);
			})
			.catch((err: unknown) => {
				failure ??= err;
			})
			.finally(() => inFlight.delete(sent));
		inFlight.add(sent);
	};

	try {
		let current = await bufferFor(partSizeFor(1, basePartSize));
		let filled = 0;
		for await (const chunk of body) {
			let offset = 0;
			while (offset < chunk.length) {
				// A full buffer is sent only once more data arrives, so a body of exactly one part is still one PutObject.
				if (filled === current.length) {
					await sendPart(current, filled);
					current = await bufferFor(partSizeFor(partNumber + 1, basePartSize));
					filled = 0;
				}
				const n = Math.min(chunk.length - offset, current.length - filled);
				current.set(chunk.subarray(offset, offset + n), filled);
				filled += n;
				offset += n;
				bytes += n;
			}
		}
		if (uploadId === undefined) {
			// Everything fitted in one part: one request, no multipart bookkeeping (most incremental windows).
			await target.beforeComplete?.();
			await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: target.contentType, Body: current.subarray(0, filled) }));
			return { bytes, parts: 0 };
		}
		if (filled > 0) await sendPart(current, filled);
		while (inFlight.size > 0) await Promise.race(inFlight);
		if (failure) throw failure;
		await target.beforeComplete?.();
		completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
		await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: completed } }));
		return { bytes, parts: completed.length };
	} catch (err) {
		failure ??= err;
		await Promise.allSettled([...inFlight]);
		if (uploadId !== undefined) {
			// Best effort: the run log needs the original error. Parts of an abort that fails (S3 unreachable, or a server
			// without AbortMultipartUpload such as s3rver) are removed by the bucket's incomplete-upload lifecycle rule.
			await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
		}
		throw failure;
	}
}
