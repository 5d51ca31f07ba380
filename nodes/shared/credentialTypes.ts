/** Credential type names, as nodes list them in `credentials` and read them with getCredentials(). */
export const WAREHOUSE_CREDENTIAL = 'dataAcuityPostgres';
export const SOURCE_CREDENTIAL = 'dataAcuityPostgresSource';
export const OBJECT_STORE_CREDENTIAL = 'dataAcuityObjectStore';
export const ENRICHMENT_APIS_CREDENTIAL = 'dataAcuityEnrichmentApis';
export const ANALYTICS_CREDENTIAL = 'dataAcuityPostgresAnalytics';

/** Editor labels of the Postgres credential types (all share DataAcuityPostgres' fields), for error messages. */
export const POSTGRES_CREDENTIAL_LABELS: Record<string, string> = {
	[WAREHOUSE_CREDENTIAL]: 'DataAcuity Postgres',
	[SOURCE_CREDENTIAL]: 'DataAcuity Postgres Source Replica',
	[ANALYTICS_CREDENTIAL]: 'DataAcuity Postgres Analytics DB',
};

/** Names of the shared credential-test methods; a node lists them as `testedBy` and spreads credentialTestMethods. */
export const POSTGRES_TEST_METHOD = 'dataAcuityPostgresTest';
export const OBJECT_STORE_TEST_METHOD = 'dataAcuityObjectStoreTest';
