import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../../../src/config/connection.schema';
import { migrateWarehouse } from '../../../src/control/migrate';
import { createPool } from '../../../src/transport/postgres';
import { dropDatabase, freshDatabase } from '../../harness/testEnv';

export interface EnrichWarehouse {
	pool: pg.Pool;
	database: string;
	connection: PostgresConnection;
	close(): Promise<void>;
}

/** A fresh warehouse database with every migration applied (the enrich ones included). */
export async function enrichWarehouse(name: string): Promise<EnrichWarehouse> {
	const conn = postgresConnectionSchema.parse(await freshDatabase(name));
	const pool = createPool(conn);
	await migrateWarehouse(pool);
	return {
		pool,
		database: conn.database,
		connection: conn,
		async close() {
			await pool.end();
			await dropDatabase(conn.database);
		},
	};
}

export interface FixtureServer {
	url: string;
	requests: URL[];
	close(): Promise<void>;
}

/** A loopback HTTP server standing in for the FX source / geo service; records every request it gets. */
export async function fixtureServer(handler: (url: URL, req: IncomingMessage, res: ServerResponse) => void): Promise<FixtureServer> {
	const requests: URL[] = [];
	const server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		requests.push(url);
		handler(url, req, res);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

export function json(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
}
