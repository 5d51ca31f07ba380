import { columnNameFindings } from '../../../src/privacy/columnNames';

test.each([
	['email', 'email'],
	['contact_email', 'email'],
	['msisdn', 'phone'],
	['phone_number', 'phone'],
	['id_number', 'national_id'],
	['sa_id', 'national_id'],
	['first_name', 'person_name'],
	['surname', 'person_name'],
	['street_address', 'address'],
	['date_of_birth', 'date_of_birth'],
	['ip_address', 'ip_address'],
	['gps_lat', 'gps'],
	['lng', 'gps'],
	['iban', 'financial_account'],
	['device_id', 'device_id'],
	['body', 'free_text'],
	['pin', 'secret'],
])('%s breaks %s', (column, rule) => {
	expect(columnNameFindings(column)).toContain(rule);
});

test.each([
	'user_hash',
	'user_hash16',
	'sa_id_token',
	'email_hash',
	'age_band',
	'lat_grid',
	'device_class',
	'created_hour',
	'ip_city',
	'ip_country',
	'postcode_area',
	'email_verified_at',
	'amount_zar',
	'id',
	'name',
	'status',
	'created_at',
	'has_media',
])('%s passes', (column) => {
	expect(columnNameFindings(column)).toEqual([]);
});
