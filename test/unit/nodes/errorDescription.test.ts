import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';
import { z } from 'zod';
import { CredentialConfigError } from '../../../nodes/shared/credentialConfig';
import { explainError, unwrapError } from '../../../nodes/shared/errorDescription';
import { toNodeError } from '../../../nodes/shared/nodeErrors';
import { objectStoreSchema, postgresConnectionSchema } from '../../../src/config/connection.schema';
import { loadRequestSchema } from '../../../src/config/run.schema';
import { UnknownTableError } from '../../../src/control/registry';
import { LoadError } from '../../../src/load/loadBronze';
import { CsvPathError } from '../../../src/transport/objectStore';
import { PolicyError } from '../../../src/anonymise/policyLoader';
import { DbtCloudError } from '../../../src/dbt/cloud/dbtCloudClient';
import { DbtProjectBusyError } from '../../../src/dbt/projectLock';
import { readProjectName } from '../../../src/dbt/projectName';
import { parseRunResults } from '../../../src/dbt/runResults.schema';
import { DbtInputError } from '../../../src/dbt/validationError';
import { FxSourceError } from '../../../src/enrich/fxIngest';
import { GeoServiceError } from '../../../src/enrich/geoService';
import { holidaysFor } from '../../../src/enrich/holidays';
import { EnrichConfigError } from '../../../src/enrich/parseConfig';
import { PushTargetConfigError } from '../../../src/pushback/target.schema';
import { IncidentGateError } from '../../../src/webhook/gate.schema';

const warehouse = postgresConnectionSchema.parse({ host: '10.0.0.5', port: 6432, database: 'dwh', user: 'dwh_owner' });
const source = postgresConnectionSchema.parse({ host: '10.0.0.6', port: 5433, database: 'auth_db', user: 'replicator' });
const store = objectStoreSchema.parse({ endpoint: 'http://10.0.0.7:9000', accessKeyId: 'k', secretAccessKey: 's', bucket: 'dwh-exports' });
const scope = { warehouse, source, store };

const netError = (code: string, port?: number) => Object.assign(new Error(`connect ${code} 10.0.0.5:${port}`), { code, port });
const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('explainError', () => {
	test('core errors keep their message and carry their own fix', () => {
		expect(explainError(new LoadError('Run 7 belongs to a, not b', 7, 'Pass the table and runId from the same extract item.'), scope)).toEqual({
			message: 'Run 7 belongs to a, not b',
			description: 'Pass the table and runId from the same extract item.',
			kind: 'operation',
		});
		expect(explainError(new UnknownTableError('x__y', ['auth_db__users']))).toMatchObject({
			kind: 'operation',
			message: expect.stringContaining('Registered tables include: auth_db__users'),
			description: expect.stringContaining('npm run dwh:registry-sync'),
		});
		expect(explainError(new CsvPathError('csvPath "../x" contains empty, "." or ".." segments'))).toMatchObject({
			kind: 'operation',
			description: expect.stringContaining('<prefix>/exports/<table>/'),
		});
		expect(explainError(new CredentialConfigError('DataAcuity Object Store', ['Bucket', 'Region'], 'bad'))).toMatchObject({
			description: 'Open the DataAcuity Object Store credential and fix: Bucket, Region.',
		});
	});

	test('a load that broke on the network adds which credentials to test to the core hint', () => {
		const e = new LoadError('Loading run 5 of a__b failed and was rolled back: connect ECONNREFUSED 10.0.0.7:9000', 5, 'The CSV stays at s3://x/y.csv.');
		expect(explainError(e).description).toBe(
			'The CSV stays at s3://x/y.csv. Could not reach a server: check the DataAcuity Object Store and DataAcuity Postgres credentials with their Test buttons.',
		);
	});

	test('zod errors list each field path', () => {
		const parsed = loadRequestSchema.safeParse({ table: 'Bad Name', runId: 'abc', csvPath: '' });
		expect(parsed.success).toBe(false);
		const x = explainError(!parsed.success && parsed.error);
		expect(x.message).toBe(
			'Invalid input — table: table must be a lower-case SQL identifier (letters, digits, underscore; max 63 chars, not starting with a digit); runId: runId must be the extract run id (a number); csvPath: csvPath is required (s3://bucket/<prefix>/exports/<table>/<file>.csv)',
		);
		expect(explainError(z.string().safeParse(1).error)).toMatchObject({ message: 'Invalid input — Expected string, received number' });
	});

	test('a refused connection names the credential whose port it was', () => {
		expect(explainError(netError('ECONNREFUSED', 6432), scope)).toEqual({
			message: 'Nothing is listening on 10.0.0.5:6432 — check Host and Port, and that the server is running.',
			description: 'Check the DataAcuity Postgres credential (Host, Port, User, Password, SSL Mode) and use its Test button.',
			kind: 'api',
		});
		expect(explainError(netError('ECONNREFUSED', 5433), scope)).toMatchObject({
			message: 'Nothing is listening on 10.0.0.6:5433 — check Host and Port, and that the server is running.',
			description: expect.stringContaining('DataAcuity Postgres Source Replica credential'),
		});
		expect(explainError(netError('ECONNREFUSED', 9000), scope)).toMatchObject({
			message: 'Nothing is listening at http://10.0.0.7:9000 — check Endpoint and that the S3 server is running.',
			description: expect.stringContaining('DataAcuity Object Store credential'),
		});
	});

	test('Postgres login failures name the user and database', () => {
		expect(explainError(Object.assign(new Error('password authentication failed'), { code: '28P01' }), scope).message).toBe(
			'Password authentication failed for user "dwh_owner" — check User and Password.',
		);
		expect(explainError(Object.assign(new Error('no db'), { code: '3D000' }), scope).message).toBe(
			'Database "dwh" does not exist on 10.0.0.5:6432 — check Database.',
		);
		expect(explainError(new Error('timeout exceeded when trying to connect'), scope)).toMatchObject({
			kind: 'api',
			description: expect.stringContaining('DataAcuity Postgres credential'),
		});
	});

	test('SQL errors get a hint for the usual causes', () => {
		const missing = Object.assign(new Error('relation "dwh_control.source_tables" does not exist'), { code: '42P01' });
		expect(explainError(missing, scope)).toEqual({
			message: 'Postgres error 42P01: relation "dwh_control.source_tables" does not exist',
			description: 'The warehouse has no dwh_control schema yet — run `npm run dwh:migrate` against it, then `npm run dwh:registry-sync`.',
			kind: 'api',
		});
		expect(explainError(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })).description).toMatch(
			/Statement Timeout \(Ms\)/,
		);
		expect(explainError(Object.assign(new Error('sorry, too many clients already'), { code: '53300' })).description).toMatch(/lower Max Connections/);
	});

	test('S3 responses: a missing bucket, denied keys, with the HTTP status', () => {
		expect(explainError(s3Error('NotFound', 404), scope)).toMatchObject({
			message: 'Bucket "dwh-exports" not found at http://10.0.0.7:9000 — create it or fix Bucket.',
			kind: 'api',
			httpCode: '404',
		});
		expect(explainError(s3Error('InvalidAccessKeyId', 403), scope).message).toBe(
			'Access to bucket "dwh-exports" denied at http://10.0.0.7:9000 — check Access Key ID and Secret Access Key, and that the key may list the prefix.',
		);
	});

	test('codes hidden in an AggregateError or in the AWS SDK error wrapper are found', () => {
		const agg = Object.assign(new AggregateError([netError('ECONNREFUSED', 6432)], 'all failed'), {});
		expect(unwrapError(agg)).toMatchObject({ code: 'ECONNREFUSED', port: 6432 });
		const wrapped = Object.assign(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 10.0.0.7:9000'), { $metadata: { attempts: 3 } });
		expect(unwrapError(wrapped)).toMatchObject({ code: 'ECONNREFUSED', port: 9000 });
		expect(explainError(wrapped, scope).message).toBe('Nothing is listening at http://10.0.0.7:9000 — check Endpoint and that the S3 server is running.');
	});

	test('an n8n error keeps its own message and description', () => {
		const node: INode = { id: '1', name: 'x', type: 't', typeVersion: 1, position: [0, 0], parameters: {} };
		expect(explainError(new NodeOperationError(node, 'Referenced node is unexecuted', { description: 'Run the previous node first' }))).toEqual({
			message: 'Referenced node is unexecuted',
			description: 'Run the previous node first',
			kind: 'operation',
			httpCode: undefined,
		});
	});

	test('the errors of every node area carry their own fix, none falls to "Unexpected error"', () => {
		const cases: [Error, RegExp, 'api' | 'operation'][] = [
			[new DbtProjectBusyError('dataacuity', 'n8n-execution-7', 0), /Lock Wait \(Seconds\)/, 'operation'],
			[new DbtInputError('dbt command', [{ path: 'select.0', message: 'not a selector' }]), /dbt was not started/, 'operation'],
			[new DbtCloudError('dbt Cloud POST /jobs/5/run/ answered 401: Invalid token.', 401), /API Token/, 'api'],
			[new IncidentGateError(['dedupWindowSeconds must be at least twice toleranceSeconds']), /Duplicate Window/, 'operation'],
			[new EnrichConfigError(['fx.amountColumn: Required'], 'Enrich config'), /named parameter/, 'operation'],
			[new FxSourceError('FX source http://127.0.0.1:1/timeseries answered HTTP 401'), /FX access key/, 'api'],
			[new GeoServiceError('Geo service http://127.0.0.1:1 answered HTTP 500'), /Geo Service URL/, 'api'],
			[new PolicyError('auth_db.policy.json', ['version is required']), /policy file/, 'operation'],
			[new PushTargetConfigError([{ path: 'key', message: 'Required' }]), /custom target/, 'operation'],
		];
		for (const [err, hint, kind] of cases) {
			const x = explainError(err);
			expect({ message: x.message, kind: x.kind }).toEqual({ message: err.message, kind });
			expect(x.description).toMatch(hint);
		}
		expect(explainError(new DbtCloudError('answered 403', 403)).httpCode).toBe('403');
	});

	test('what the enrich and dbt cores throw about the project, relation or reference data carries its fix', () => {
		const thrown = (f: () => unknown) => {
			try {
				f();
			} catch (err) {
				return err;
			}
			throw new Error('did not throw');
		};
		const cases: [unknown, RegExp][] = [
			[thrown(() => readProjectName('/nonexistent/dbt')), /Project Directory or Command Prefix/],
			[thrown(() => parseRunResults('not json', 'rr.json')), /dbt Core version docs\/dbt.md names/],
			[thrown(() => holidaysFor('XX', 2026)), /a parameter of this node/],
		];
		for (const [err, hint] of cases) expect(explainError(err).description).toMatch(hint);
	});

	test('an error no rule knows keeps its message and gets the fix of the node it happened in', () => {
		expect(explainError(new Error('boom'))).toEqual({ message: 'boom', description: expect.any(String), kind: 'operation' });
		expect(explainError(new Error('boom'), { area: 'enrich' }).description).toMatch(/docs\/enrich.md/);
		expect(explainError(new Error('boom'), { area: 'dbtRun' }).description).toMatch(/dwh_control.dbt_runs/);
		const node: INode = { id: '1', name: 'dbt Run', type: 'n8n-nodes-dataacuity.dbtRun', typeVersion: 1, position: [0, 0], parameters: {} };
		expect(toNodeError(node, new Error('spawn dbt ENOENT')).description).toMatch(/dwh_control.dbt_runs/);
	});
});

describe('toNodeError', () => {
	const node: INode = { id: '1', name: 'Watermark Extract', type: 'n8n-nodes-dataacuity.watermarkExtract', typeVersion: 1, position: [0, 0], parameters: {} };

	test('network and server failures become NodeApiError without n8n replacing the specific message', () => {
		const e = toNodeError(node, netError('ECONNREFUSED', 6432), scope, 2);
		expect(e).toBeInstanceOf(NodeApiError);
		expect(e.message).toBe('Nothing is listening on 10.0.0.5:6432 — check Host and Port, and that the server is running.');
		expect(e.description).toMatch(/DataAcuity Postgres credential/);
		expect(e.context.itemIndex).toBe(2);
		const s3 = toNodeError(node, s3Error('NoSuchBucket', 404), scope) as NodeApiError;
		expect(s3.httpCode).toBe('404');
		expect(s3.message).toMatch(/^Bucket "dwh-exports" not found/);
	});

	test('input and config problems become NodeOperationError with the fix as description', () => {
		const e = toNodeError(node, new LoadError('Run 9 does not exist in dwh_control.extract_runs', 9, 'Use the runId output by WatermarkExtract.'), scope, 0);
		expect(e).toBeInstanceOf(NodeOperationError);
		expect(e.message).toBe('Run 9 does not exist in dwh_control.extract_runs');
		expect(e.description).toBe('Use the runId output by WatermarkExtract.');
	});

	test('an n8n error passes through unchanged', () => {
		const original = new NodeOperationError(node, 'already explained', { description: 'fix it' });
		expect(toNodeError(node, original, scope)).toBe(original);
	});

	test("an error from n8n's own copy of n8n-workflow (not instanceof ours) also passes through", () => {
		// Same shape as n8n's ExpressionError / NodeOperationError: a named Error with context and functionality.
		class ExpressionError extends Error {
			context = { parameter: 'table' };
			functionality = 'regular';
			description = 'There is no item to read from';
			constructor(message: string) {
				super(message);
				this.name = 'ExpressionError';
			}
		}
		const foreign = new ExpressionError('Referenced node is unexecuted');
		expect(toNodeError(node, foreign, scope)).toBe(foreign);
		expect(toNodeError(node, new Error('plain'), scope)).toBeInstanceOf(NodeOperationError);
	});
});

describe('node errors never carry row values', () => {
	const dataError = () =>
		Object.assign(new Error('invalid input syntax for type integer: "thandi@example.co.za"'), {
			code: '22P02',
			where: 'COPY _dwh_stage, line 4, column age: "thandi@example.co.za"',
		});

	test('the explained message, the error item and the error n8n stores (with its cause and stack) are sanitised', () => {
		const x = explainError(dataError());
		expect(x.message).toBe('Postgres error 22P02: invalid input syntax for type integer: <value withheld> | COPY _dwh_stage, line 4, column age');
		const nodeErr = toNodeError(
			{ id: 'n', name: 'Load', type: 't', typeVersion: 1, position: [0, 0], parameters: {} } as INode,
			Object.assign(dataError(), { code: 'XYZ' }),
		);
		expect(
			JSON.stringify({ ...nodeErr, message: nodeErr.message, stack: nodeErr.stack, cause: String(nodeErr.cause), causeStack: (nodeErr.cause as Error)?.stack }),
		).not.toContain('thandi');
	});
});
