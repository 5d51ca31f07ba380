import { objectStoreSchema } from '../../src/config/connection.schema';
import { CsvPathError, ObjectStore } from '../../src/transport/objectStore';

const store = new ObjectStore(
	objectStoreSchema.parse({ endpoint: 'http://127.0.0.1:9000', accessKeyId: 'k', secretAccessKey: 's', bucket: 'dwh-bucket', prefix: '/dataacuity/' }),
);
const T = 'ledger_db__transactions';

test('export and processed keys live under the prefix', () => {
	const key = store.exportKey(T, '20261124_1015_SAST_42.csv');
	expect(key).toBe('dataacuity/exports/ledger_db__transactions/20261124_1015_SAST_42.csv');
	expect(store.processedKeyFor(key)).toBe('dataacuity/processed/ledger_db__transactions/20261124_1015_SAST_42.csv');
	expect(store.uri(key)).toBe('s3://dwh-bucket/dataacuity/exports/ledger_db__transactions/20261124_1015_SAST_42.csv');
});

test('a csv path is accepted as an s3:// URI or a bare key', () => {
	const key = 'dataacuity/exports/ledger_db__transactions/20261124_1015_SAST_42.csv';
	expect(store.parseCsvPath(T, `s3://dwh-bucket/${key}`)).toBe(key);
	expect(store.parseCsvPath(T, key)).toBe(key);
});

test.each([
	['s3://other/dataacuity/exports/ledger_db__transactions/a.csv', /bucket "other"/],
	['dataacuity/exports/ledger_db__transactions/../../processed/x.csv', /"\.\." segments/],
	['dataacuity/exports/ledger_db__transactions/%2e%2e/x.csv', /encoded/],
	['dataacuity/exports/ledger_db__transactions//x.csv', /empty/],
	['dataacuity/processed/ledger_db__transactions/x.csv', /outside s3:\/\/dwh-bucket\/dataacuity\/exports\/ledger_db__transactions\//],
	['dataacuity/exports/auth_db__users/x.csv', /outside/],
	['dataacuity/exports/ledger_db__transactions/sub/x.csv', /directly inside/],
	['dataacuity/exports/ledger_db__transactions/x.sql', /must name a \.csv file/],
	['/etc/passwd', /empty/],
])('refuses %s', (path, message) => {
	expect(() => store.parseCsvPath(T, path)).toThrow(CsvPathError);
	expect(() => store.parseCsvPath(T, path)).toThrow(message);
});

test('refuses a table name that is not an identifier', () => {
	expect(() => store.parseCsvPath('x; drop table y', 'dataacuity/exports/x/a.csv')).toThrow(/not a valid table name/);
});

test('prefix with .. is rejected by the credential schema', () => {
	const r = objectStoreSchema.safeParse({ accessKeyId: 'k', secretAccessKey: 's', bucket: 'dwh-bucket', prefix: 'a/../b' });
	expect(r.success).toBe(false);
	expect(r.error!.issues[0]).toMatchObject({ path: ['prefix'], message: 'prefix must not contain . or .. segments' });
});
