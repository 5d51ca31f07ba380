import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ObjectStore } from '../transport/objectStore';
import { CsvDigest } from './csvDigest';

export interface CsvExportResult {
	rows: number;
	bytes: number;
	sha256: string;
}

/**
 * Streams `COPY (<select>) TO STDOUT` as CSV with a header into a multipart upload. Memory is bounded by the
 * upload's part buffers; the table never sits in the Node process. Row count comes from the COPY command tag.
 */
export async function exportCsv(client: pg.PoolClient, selectSql: string, store: ObjectStore, key: string): Promise<CsvExportResult> {
	const copy = client.query(copyTo(`COPY (${selectSql}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`));
	const digest = new CsvDigest();
	// Small on purpose: the upload buffers whole parts itself; this only decouples the COPY from it.
	const body = new PassThrough({ highWaterMark: 256 * 1024 });
	const uploaded = store.upload(key, body);
	// If the upload fails first, stop reading from Postgres instead of filling memory.
	uploaded.catch((err) => body.destroy(err));
	await Promise.all([pipeline(copy, digest, body), uploaded]);
	return { rows: copy.rowCount, bytes: digest.bytes, sha256: digest.hex() };
}
