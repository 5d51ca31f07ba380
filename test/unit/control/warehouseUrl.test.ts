import { UsageError, warehouseTarget } from '../../../src/cli/warehouseUrl';

describe('warehouseTarget', () => {
	const saved = process.env.DWH_WAREHOUSE_URL;
	afterEach(() => {
		if (saved === undefined) delete process.env.DWH_WAREHOUSE_URL;
		else process.env.DWH_WAREHOUSE_URL = saved;
	});

	test('masks the password in what it displays and scrubs it (raw or URL-encoded) from any text', () => {
		const t = warehouseTarget('postgres://etl:s3cr%40t!@db.local:6432/data_warehouse?sslmode=require', 'x');
		expect(t.display).toBe('postgres://etl:***@db.local:6432/data_warehouse?sslmode=require');
		expect(t.redact('auth failed for s3cr@t! (s3cr%40t!)')).toBe('auth failed for *** (***)');
		expect(t.pool).toMatchObject({ connectionString: 'postgres://etl:s3cr%40t!@db.local:6432/data_warehouse?sslmode=require', application_name: 'x' });
	});

	test('a password passed as a query parameter is masked too', () => {
		const t = warehouseTarget('postgres://etl@db.local/dw?password=hunter2&sslmode=require', 'x');
		expect(t.display).toBe('postgres://etl@db.local/dw?password=***&sslmode=require');
		expect(t.redact('bad password hunter2')).toBe('bad password ***');
	});

	test('a malformed percent sequence in the password is still masked, not a crash', () => {
		const t = warehouseTarget('postgres://etl:ab%zz@db.local/dw', 'x');
		expect(t.display).toBe('postgres://etl:***@db.local/dw');
		expect(t.redact('ab%zz')).toBe('***');
	});

	test('--url wins over DWH_WAREHOUSE_URL, which is used when no flag is given', () => {
		process.env.DWH_WAREHOUSE_URL = 'postgres://env@h/envdb';
		expect(warehouseTarget(undefined, 'x').display).toBe('postgres://env@h/envdb');
		expect(warehouseTarget('postgresql://flag@h/flagdb', 'x').display).toBe('postgresql://flag@h/flagdb');
	});

	test('no URL, a bad URL or another scheme is a usage error that never echoes the value', () => {
		delete process.env.DWH_WAREHOUSE_URL;
		expect(() => warehouseTarget(undefined, 'x')).toThrow(UsageError);
		expect(() => warehouseTarget(undefined, 'x')).toThrow(/DWH_WAREHOUSE_URL/);
		expect(() => warehouseTarget('not a url with pw hunter2', 'x')).toThrow(/^(?!.*hunter2).*not a valid URL/);
		expect(() => warehouseTarget('mysql://u:p@h/db', 'x')).toThrow(/must start with postgres:\/\//);
	});
});
