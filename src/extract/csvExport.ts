import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { CopyOutStream } from '../transport/copyOutStream';
import type { ObjectStore } from '../transport/objectStore';
import { CsvDigest } from './csvDigest';

export interface CsvExportResult {
	rows: number;
	bytes: number;
	sha256: string;
}

/**
 * Streams `COPY (<select>) TO STDOUT` as CSV with a header into the object store. Memory is bounded by the upload's
 * reused part buffers; the table never sits in the Node process, and the COPY is read only as fast as parts go out.
 * Row count comes from the COPY command tag. A failure on either side stops both: an upload error ends the COPY, a
 * COPY error aborts the upload.
 */
export async function exportCsv(client: pg.PoolClient, selectSql: string, store: ObjectStore, key: string): Promise<CsvExportResult> {
	const copy = client.query(new CopyOutStream(copyOutSql(selectSql)));
	const digest = new CsvDigest();
	const copied = pipeline(copy, digest);
	const uploaded = store.upload(key, digest);
	// Wait for both sides to settle, so a failed COPY has aborted its multipart upload before the caller moves on.
	const [copyOutcome, uploadOutcome] = await Promise.allSettled([copied, uploaded]);
	if (copyOutcome.status === 'rejected' && !isStreamTeardown(copyOutcome.reason)) throw copyOutcome.reason;
	if (uploadOutcome.status === 'rejected') throw uploadOutcome.reason;
	if (copyOutcome.status === 'rejected') throw copyOutcome.reason;
	if (uploadOutcome.value.bytes !== digest.bytes) throw new Error(`uploaded ${uploadOutcome.value.bytes} bytes of ${key} but the COPY wrote ${digest.bytes}`);
	return { rows: copy.rowCount, bytes: digest.bytes, sha256: digest.hex() };
}

/** The extract's COPY: CSV with a header line, UTF-8, whatever the server's encoding. */
export function copyOutSql(selectSql: string): string {
	return `COPY (${selectSql}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`;
}

/** The COPY side's error when it was only torn down because the upload failed first: the upload's error is the cause. */
function isStreamTeardown(err: unknown): boolean {
	const code = (err as { code?: string } | null)?.code;
	return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR';
}
