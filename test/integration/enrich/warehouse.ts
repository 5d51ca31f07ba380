import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../../../src/config/connection.schema';
import { createPool } from '../../../src/transport/postgres';
import { stageLogin } from '../../harness/loginRole';
import { migratedWarehouse } from '../../harness/migratedWarehouse';
import { dropDatabase } from '../../harness/testEnv';

export interface EnrichWarehouse {
	/** Superuser: builds fixtures and checks results. */
	pool: pg.Pool;
	/** The Enrich node's documented login (member of dwh_etl, sessions run as it): every enrich call goes through it. */
	etl: pg.Pool;
	database: string;
	/** The login as a credential, for the node tests. */
	connection: PostgresConnection;
	close(): Promise<void>;
}

/** A fresh warehouse database with every migration applied (the enrich ones included). */
export async function enrichWarehouse(name: string): Promise<EnrichWarehouse> {
	const { connection: admin, pool } = await migratedWarehouse(name, createPool);
	const login = await stageLogin(admin.database, 'dwh_etl');
	const connection = postgresConnectionSchema.parse(login.connection);
	const etl = createPool(connection);
	return {
		pool,
		etl,
		database: admin.database,
		connection,
		async close() {
			await etl.end();
			await login.drop();
			await pool.end();
			await dropDatabase(admin.database);
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
