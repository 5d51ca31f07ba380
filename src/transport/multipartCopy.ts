import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCopyCommand, type S3Client } from './awsS3';

/** S3 refuses a single CopyObject above 5 GiB; a full reseed of a big table produces CSVs that large. */
export const SINGLE_COPY_LIMIT = 5 * 1024 * 1024 * 1024;
const PART = 512 * 1024 * 1024;

export async function multipartCopy(client: S3Client, bucket: string, fromKey: string, toKey: string, size: number): Promise<void> {
	const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: toKey, ContentType: 'text/csv; charset=utf-8' }));
	const copySource = `${bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
	try {
		const parts: { ETag?: string; PartNumber: number }[] = [];
		for (let start = 0, n = 1; start < size; start += PART, n++) {
			const end = Math.min(start + PART, size) - 1;
			const res = await client.send(
				new UploadPartCopyCommand({ Bucket: bucket, Key: toKey, UploadId, PartNumber: n, CopySource: copySource, CopySourceRange: `bytes=${start}-${end}` }),
			);
			parts.push({ ETag: res.CopyPartResult?.ETag, PartNumber: n });
		}
		await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: toKey, UploadId, MultipartUpload: { Parts: parts } }));
	} catch (err) {
		await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: toKey, UploadId })).catch(() => undefined);
		throw err;
	}
}
