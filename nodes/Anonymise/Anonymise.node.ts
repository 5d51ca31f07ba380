import type pg from 'pg';
import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { findFlaggedUsers, forgetUsers, type ForgetRequest } from '../../src/anonymise/forget';
import { ItemsPiiBlockedError } from '../../src/anonymise/itemGate';
import { anonymiseItemsWithRunLog } from '../../src/anonymise/itemRun';
import { defaultPoliciesDir, loadPolicies, loadPolicyFor, type LoadedPolicy } from '../../src/anonymise/policyLoader';
import { rotateSalt } from '../../src/anonymise/rotateSalt';
import { recordResidueCheck } from '../../src/anonymise/residueChecks';
import { formatResidueReport, scanResidue, type ResidueSubject } from '../../src/anonymise/residueScan';
import { openVerificationToken } from '../../src/anonymise/verificationToken';
import { anonymiseRelation, anonymiseTablesAtomically, policyTable, relationColumns, todayUtc, type AnonymiseDeps } from '../../src/anonymise/runner';
import { openAnonymiseSession, type AnonymiseSession } from '../../src/anonymise/session';
import { inputRelation } from '../../src/anonymise/policy.schema';
import { enforceKAnonymity, kAnonymityReport, type GroupSizeOptions, type KAnonymityStrategy } from '../../src/privacy/kAnonymity';
import { describeFindings, parseRelationName, scanRelationForPii } from '../../src/privacy/piiScan';
import { createPool } from '../../src/transport/postgres';
import { runRetention } from '../../src/control/applyRetention';
import { loadRegistryFile } from '../../src/control/registryFile';
import { ObjectStore } from '../../src/transport/objectStore';
import { credentialTestMethods } from '../shared/credentialTest';
import { ANALYTICS_CREDENTIAL, OBJECT_STORE_CREDENTIAL, OBJECT_STORE_TEST_METHOD, POSTGRES_TEST_METHOD, WAREHOUSE_CREDENTIAL } from '../shared/credentialTypes';
import { mapItems } from '../shared/items';
import { toNodeError } from '../shared/nodeErrors';
import { readObjectStoreConfig, readPostgresConnection, readWarehouseConnection } from '../shared/pipelineContext';
import { explainAnonymiseError } from './errors';
import { anonymisationSecretsTest, SECRETS_CREDENTIAL, SECRETS_TEST_METHOD, secretsFromCredential } from './secretsCredential';

type Operation = 'anonymiseRelation' | 'anonymiseItems' | 'rotateSalt' | 'forgetUsers' | 'piiCheck' | 'kAnonymityReport' | 'applyRetention' | 'verifyResidue';
const NEEDS_SECRETS: Operation[] = ['anonymiseRelation', 'anonymiseItems', 'rotateSalt', 'forgetUsers', 'verifyResidue'];

const list = (s: unknown) =>
	String(s ?? '')
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

const show = (...operation: Operation[]) => ({ show: { operation } });

export class Anonymise implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Anonymise',
		name: 'anonymise',
		icon: 'file:anonymise.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'The compliance gate: hash, tokenise, generalise or suppress PII per policy, with PII checks, salt rotation and right-to-be-forgotten',
		defaults: { name: 'Anonymise' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{ name: WAREHOUSE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Warehouse (dwh)' },
			{ name: SECRETS_CREDENTIAL, required: true, testedBy: SECRETS_TEST_METHOD, displayName: 'Anonymisation Secrets (salts, vault key)', displayOptions: show(...NEEDS_SECRETS) },
			// Shown for Forget Users and read only with Also Forget In Analytics DB (which then fails naming this slot when it is
			// empty). A slot whose display rule reads that boolean parameter kept n8n 1.123's editor from rendering the node.
			{ name: ANALYTICS_CREDENTIAL, required: false, testedBy: POSTGRES_TEST_METHOD, displayName: 'analytics_db (Also Forget In Analytics DB, Search Analytics DB)', displayOptions: show('forgetUsers', 'verifyResidue') },
			{ name: OBJECT_STORE_CREDENTIAL, required: false, testedBy: OBJECT_STORE_TEST_METHOD, displayName: 'Object Store (the CSV archive)', displayOptions: show('applyRetention', 'verifyResidue') },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Anonymise Items', value: 'anonymiseItems', action: 'Anonymise the input items', description: 'Small flows: apply a policy table to the input items' },
					{ name: 'Anonymise Relation', value: 'anonymiseRelation', action: 'Anonymise a bronze table into intermediate', description: 'Set-based in the warehouse: build, PII-check, then swap in intermediate.*' },
					{
						name: 'Apply Retention',
						value: 'applyRetention',
						action: 'Expire raw rows and archived csvs past their retention',
						description: 'Raw rows past the registry retention (once anonymised) and CSVs under exports/ and processed/ past archive_days, per table under its lock, audited in retention_runs',
					},
					{ name: 'Forget Users', value: 'forgetUsers', action: 'Forget users right to be forgotten', description: 'Delete users from raw, staging, intermediate, marts and (optionally) analytics_db, purge the vault, write the audit' },
					{ name: 'K-Anonymity Report', value: 'kAnonymityReport', action: 'Report or enforce k anonymity', description: 'Smallest group over quasi-identifiers; optionally suppress or generalise small groups' },
					{ name: 'PII Check', value: 'piiCheck', action: 'Check a relation for PII', description: 'Column names and sampled content against the PII detectors' },
					{ name: 'Rotate Salt', value: 'rotateSalt', action: 'Rotate a salt and re key', description: 'Activate the newest salt version and rebuild every table hashing with it, in one transaction' },
					{
						name: 'Verify Residue',
						value: 'verifyResidue',
						action: 'Verify nothing of a forgotten user is left',
						description: 'Search the warehouse, analytics_db, the vault and the CSV archive for a forgotten person; places and counts, never values; recorded for v_residue_alerts',
					},
				],
				default: 'anonymiseRelation',
			},
			{
				displayName: 'Source Database',
				name: 'sourceDb',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'auth_db',
				description: 'Source database as in the registry; its policy file is &lt;source_db&gt;.policy.JSON in the policies folder',
				displayOptions: show('anonymiseRelation', 'anonymiseItems'),
			},
			{
				displayName: 'Tables',
				name: 'tableSelection',
				type: 'options',
				options: [
					{ name: 'One Table', value: 'one' },
					{ name: 'Every Table of the Policy', value: 'all', description: 'Tables whose input relation exists, in one transaction' },
				],
				default: 'one',
				displayOptions: show('anonymiseRelation'),
			},
			{
				displayName: 'Table',
				name: 'table',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'users',
				description: 'Source table as named in the policy (input raw.&lt;source_db&gt;__&lt;table&gt; unless the policy says otherwise)',
				displayOptions: { show: { operation: ['anonymiseRelation', 'anonymiseItems'] }, hide: { tableSelection: ['all'] } },
			},
			{
				displayName: 'Salt Type',
				name: 'saltType',
				type: 'string',
				default: 'users',
				required: true,
				description: 'Salt type from the credential; its newest version becomes active',
				displayOptions: show('rotateSalt'),
			},
			{
				displayName: 'Users',
				name: 'userSource',
				type: 'options',
				options: [
					{ name: 'Given User IDs', value: 'ids' },
					{ name: 'Users Flagged Deleted', value: 'flagged', description: 'Rows of a users relation whose deleted-at column is set and who are not yet forgotten' },
				],
				default: 'flagged',
				displayOptions: show('forgetUsers'),
			},
			{
				displayName: 'User IDs',
				name: 'userIds',
				type: 'string',
				default: '={{ $json.user_id }}',
				required: true,
				description: 'Comma-separated TGN user IDs; evaluated per input item',
				displayOptions: { show: { operation: ['forgetUsers'], userSource: ['ids'] } },
			},
			{
				displayName: 'Users Relation',
				name: 'flaggedRelation',
				type: 'string',
				default: 'raw.auth_db__users',
				displayOptions: { show: { operation: ['forgetUsers'], userSource: ['flagged'] } },
			},
			{ displayName: 'ID Column', name: 'idColumn', type: 'string', default: 'id', displayOptions: { show: { operation: ['forgetUsers'], userSource: ['flagged'] } } },
			{ displayName: 'Deleted-At Column', name: 'flagColumn', type: 'string', default: 'deleted_at', displayOptions: { show: { operation: ['forgetUsers'], userSource: ['flagged'] } } },
			{
				displayName: 'Max Users per Run',
				name: 'flaggedLimit',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 500,
				displayOptions: { show: { operation: ['forgetUsers'], userSource: ['flagged'] } },
			},
			{ displayName: 'Reason', name: 'reason', type: 'string', default: 'POPIA/GDPR erasure request', description: 'Stored with each audit request', displayOptions: show('forgetUsers') },
			{
				displayName: 'Also Forget In Analytics DB',
				name: 'forgetInAnalyticsDb',
				type: 'boolean',
				default: false,
				description: 'Whether to also delete the users from every analytics_db table carrying their hash (the push-back targets), in the same run and audit; otherwise they leave analytics_db when each target is next pushed',
				displayOptions: show('forgetUsers'),
			},
			{
				displayName: 'Users',
				name: 'residueUsers',
				type: 'options',
				options: [
					{ name: 'From Forget Users Output', value: 'token', description: 'The verificationToken of each Forget Users item (the user ID sealed under the credential\'s key)' },
					{ name: 'Given User ID', value: 'ids', description: 'One user ID per item, with its e-mail and phone if known' },
				],
				default: 'token',
				displayOptions: show('verifyResidue'),
			},
			{
				displayName: 'Verification Token',
				name: 'verificationToken',
				type: 'string',
				typeOptions: { password: true },
				default: '={{ $json.verificationToken }}',
				description: 'Items without one (nobody was forgotten, or a retried partial request) are skipped',
				displayOptions: { show: { operation: ['verifyResidue'], residueUsers: ['token'] } },
			},
			{
				displayName: 'User ID',
				name: 'residueUserId',
				type: 'string',
				default: '={{ $json.user_id }}',
				required: true,
				displayOptions: { show: { operation: ['verifyResidue'], residueUsers: ['ids'] } },
			},
			{ displayName: 'E-Mail', name: 'residueEmail', type: 'string', placeholder: 'name@email.com', default: '', description: 'Also search for this address (free text and CSVs quote it)', displayOptions: { show: { operation: ['verifyResidue'], residueUsers: ['ids'] } } },
			{ displayName: 'Phone', name: 'residuePhone', type: 'string', default: '', description: 'Also search for this number (as given, and 0… / 27… for a +27 number)', displayOptions: { show: { operation: ['verifyResidue'], residueUsers: ['ids'] } } },
			{
				displayName: 'Source Database of the IDs',
				name: 'residueSourceDb',
				type: 'string',
				default: 'auth_db',
				description: 'A source database whose policy declares a subject column (the user IDs are its IDs)',
				displayOptions: show('verifyResidue'),
			},
			{
				displayName: 'Search Analytics DB',
				name: 'searchAnalyticsDb',
				type: 'boolean',
				default: true,
				description: 'Whether to search every analytics_db table too (needs the analytics_db credential)',
				displayOptions: show('verifyResidue'),
			},
			{
				displayName: 'Search the CSV Archive',
				name: 'searchArchive',
				type: 'boolean',
				default: true,
				description: 'Whether to search every CSV under exports/ and processed/ too (needs the Object Store credential)',
				displayOptions: show('verifyResidue'),
			},
			{
				displayName: 'Fail on Residue',
				name: 'failOnResidue',
				type: 'boolean',
				default: false,
				description: 'Whether residue fails the node. Off: CSVs the archive retention removes before the deadline are expected right after forgetting, and v_residue_alerts raises what outlives the SLA.',
				displayOptions: show('verifyResidue'),
			},
			{
				displayName: 'Sweep the CSV Archive',
				name: 'sweepArchive',
				type: 'boolean',
				default: true,
				description: 'Whether to also delete CSVs under exports/ and processed/ older than the registry\'s retention.archive_days (needs the Object Store credential). Keep it on where the server has no lifecycle rules (s3rver); where it has them it is a backstop.',
				displayOptions: show('applyRetention'),
			},
			{
				displayName: 'Registry File',
				name: 'registryFile',
				type: 'string',
				default: '',
				description: 'Source registry on the n8n host whose retention.archive_days applies; empty uses the one shipped in this package',
				displayOptions: show('applyRetention', 'verifyResidue'),
			},
			{
				displayName: 'Relation',
				name: 'relation',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'intermediate.int_auth_db__users',
				displayOptions: show('piiCheck', 'kAnonymityReport'),
			},
			{ displayName: 'Sample Rows', name: 'sampleRows', type: 'number', typeOptions: { minValue: 0 }, default: 5000, displayOptions: show('piiCheck') },
			{ displayName: 'Allowed Columns', name: 'allowColumns', type: 'string', default: '', description: 'Comma-separated columns a compliance reviewer signed off', displayOptions: show('piiCheck') },
			{ displayName: 'Fail on Findings', name: 'failOnFindings', type: 'boolean', default: true, description: 'Whether any finding fails the node (otherwise findings are output)', displayOptions: show('piiCheck') },
			{ displayName: 'Quasi-Identifiers', name: 'quasiIdentifiers', type: 'string', default: 'city,age_band', required: true, description: 'Comma-separated columns', displayOptions: show('kAnonymityReport') },
			{ displayName: 'K', name: 'k', type: 'number', typeOptions: { minValue: 1 }, default: 5, displayOptions: show('kAnonymityReport') },
			{
				displayName: 'Group Size',
				name: 'groupSize',
				type: 'options',
				options: [
					{ name: 'Rows', value: 'rows', description: 'One row per person' },
					{ name: 'Distinct Values of a Column', value: 'distinct', description: 'E.g. user_hash when a person has many rows.' },
					{ name: 'Sum of a Count Column', value: 'sum', description: 'Already aggregated tables (e.g. user_count)' },
				],
				default: 'rows',
				displayOptions: show('kAnonymityReport'),
			},
			{ displayName: 'Group Size Column', name: 'groupSizeColumn', type: 'string', default: '', required: true, displayOptions: { show: { operation: ['kAnonymityReport'], groupSize: ['distinct', 'sum'] } } },
			{
				displayName: 'Enforce',
				name: 'enforce',
				type: 'options',
				options: [
					{ name: 'Report Only', value: 'none' },
					{ name: 'Suppress Small Groups', value: 'suppress', description: 'Delete their rows (in place)' },
					{ name: 'Generalise, Then Suppress', value: 'generalise', description: 'Set the chosen columns to NULL in small groups, then delete what is still below k' },
				],
				default: 'none',
				displayOptions: show('kAnonymityReport'),
			},
			{ displayName: 'Columns to Generalise', name: 'generaliseColumns', type: 'string', default: '', required: true, displayOptions: { show: { operation: ['kAnonymityReport'], enforce: ['generalise'] } } },
			{
				displayName: 'Build',
				name: 'build',
				type: 'options',
				options: [
					{ name: 'Full Rebuild', value: 'full', description: 'Rebuild the whole table from its input' },
					{
						name: 'Incremental',
						value: 'incremental',
						description: 'Only rows loaded since the last build, merged by key; a full rebuild whenever the result could differ (policy, salts or as-of date changed, snapshot tables)',
					},
				],
				default: 'full',
				displayOptions: show('anonymiseRelation'),
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				displayOptions: show('anonymiseRelation', 'anonymiseItems', 'rotateSalt', 'forgetUsers', 'verifyResidue'),
				options: [
					{ displayName: 'Policies Folder', name: 'policiesDir', type: 'string', default: '', description: 'Folder of policy files on the n8n host; empty uses the policies shipped in this package' },
					{ displayName: 'As-of Date', name: 'asOf', type: 'string', default: '', placeholder: '2026-11-25', description: 'Date age bands are computed at; empty is today (UTC)' },
				],
			},
		],
	};

	methods = {
		credentialTest: { ...credentialTestMethods, [SECRETS_TEST_METHOD]: anonymisationSecretsTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const fns = this;
		const operation = fns.getNodeParameter('operation', 0) as Operation;
		const warehouse = await readWarehouseConnection(fns);
		const scope = { warehouse };
		const fail = (err: unknown, itemIndex?: number) => {
			const mine = explainAnonymiseError(err);
			if (mine) return new NodeOperationError(fns.getNode(), mine.message, { description: mine.description, itemIndex });
			return toNodeError(fns.getNode(), err, scope, itemIndex);
		};

		if (operation === 'applyRetention') {
			const pool = createPool(warehouse, { role: 'anonymise' });
			try {
				return [
					await mapItems(fns, scope, async (i) => {
						try {
							const archiveDays = loadRegistryFile(String(fns.getNodeParameter('registryFile', i, '')).trim() || undefined).retention.archive_days;
							let store: ObjectStore | null = null;
							if (fns.getNodeParameter('sweepArchive', i, true)) {
								try {
									store = new ObjectStore(await readObjectStoreConfig(fns));
								} catch (err) {
									throw new NodeOperationError(fns.getNode(), 'Sweep the CSV Archive is on but the Object Store credential is missing or invalid', {
										description: `Select a DataAcuity Object Store credential in "Object Store (the CSV archive)", or turn Sweep the CSV Archive off. ${(err as Error).message}`,
										itemIndex: i,
									});
								}
							}
							try {
								return (await runRetention(pool, store, { archiveDays, executionId: fns.getExecutionId() })) as unknown as IDataObject[];
							} finally {
								store?.client.destroy();
							}
						} catch (err) {
							throw err instanceof NodeOperationError ? err : fail(err, i);
						}
					}),
				];
			} finally {
				await pool.end().catch(() => undefined);
			}
		}

		if (!NEEDS_SECRETS.includes(operation)) {
			const pool = createPool(warehouse, { role: 'anonymise' });
			try {
				return [
					await mapItems(fns, scope, async (i) => {
						try {
							const rel = parseRelationName(fns.getNodeParameter('relation', i));
							if (operation === 'piiCheck') {
								const findings = await scanRelationForPii(pool, rel, {
									sampleRows: fns.getNodeParameter('sampleRows', i, 5000) as number,
									allowColumns: list(fns.getNodeParameter('allowColumns', i, '')),
								});
								if (findings.length && (fns.getNodeParameter('failOnFindings', i, true) as boolean)) {
									throw new NodeOperationError(fns.getNode(), `PII found in ${rel.schema}.${rel.table}`, { description: describeFindings(findings), itemIndex: i });
								}
								return { relation: `${rel.schema}.${rel.table}`, passed: findings.length === 0, findings: findings as unknown as IDataObject[] };
							}
							const qi = list(fns.getNodeParameter('quasiIdentifiers', i));
							const k = fns.getNodeParameter('k', i, 5) as number;
							const size = fns.getNodeParameter('groupSize', i, 'rows') as 'rows' | 'distinct' | 'sum';
							const sizeOpts: GroupSizeOptions =
								size === 'rows' ? {} : size === 'distinct' ? { distinctColumn: String(fns.getNodeParameter('groupSizeColumn', i)).trim() } : { countColumn: String(fns.getNodeParameter('groupSizeColumn', i)).trim() };
							const enforce = fns.getNodeParameter('enforce', i, 'none') as 'none' | KAnonymityStrategy['strategy'];
							if (enforce === 'none') return { ...(await kAnonymityReport(pool, rel, qi, k, sizeOpts)) };
							const how: KAnonymityStrategy = enforce === 'suppress' ? { strategy: 'suppress' } : { strategy: 'generalise', columns: list(fns.getNodeParameter('generaliseColumns', i)) };
							return { ...(await enforceKAnonymity(pool, rel, qi, k, how, sizeOpts)) } as unknown as IDataObject;
						} catch (err) {
							throw err instanceof NodeOperationError ? err : fail(err, i);
						}
					}),
				];
			} finally {
				await pool.end().catch(() => undefined);
			}
		}

		let session: AnonymiseSession;
		try {
			const secrets = secretsFromCredential(await fns.getCredentials<ICredentialDataDecryptedObject>(SECRETS_CREDENTIAL));
			session = await openAnonymiseSession({ warehouse, secrets, executionId: fns.getExecutionId(), log: (m) => fns.logger.info(m) });
		} catch (err) {
			throw fail(err);
		}
		const { deps } = session;
		try {
			const options = (i: number) => fns.getNodeParameter('options', i, {}) as { policiesDir?: string; asOf?: string };
			const policiesDir = (i: number) => options(i).policiesDir?.trim() || defaultPoliciesDir();
			const asOf = (i: number) => options(i).asOf?.trim() || todayUtc();
			const build = (i: number) => fns.getNodeParameter('build', i, 'full') as 'full' | 'incremental';

			if (operation === 'anonymiseItems') {
				// One policy table for the whole input: items are a batch, as set mode's rows are.
				try {
					const loaded = loadPolicyFor(String(fns.getNodeParameter('sourceDb', 0)).trim(), policiesDir(0));
					const table = policyTable(loaded.policy, String(fns.getNodeParameter('table', 0)).trim());
					const items = fns.getInputData();
					const out = await anonymiseItemsWithRunLog(deps, loaded, table, asOf(0), items.map((it) => it.json), { continueOnFail: fns.continueOnFail() });
					// Continue On Fail: items the PII gate held back become error items in input order, naming field and detector.
					const rows: INodeExecutionData[] = [
						...out.rows.map((json, j) => ({ json: json as IDataObject, pairedItem: { item: out.positions[j] } })),
						...out.blocked.map(({ item, error }) => ({ json: { error: error.message, description: explainAnonymiseError(error)!.description }, pairedItem: { item } })),
					];
					return [rows.sort((a, b) => (a.pairedItem as { item: number }).item - (b.pairedItem as { item: number }).item)];
				} catch (err) {
					throw fail(err, err instanceof ItemsPiiBlockedError ? err.findings[0]?.items[0] : undefined);
				}
			}

			return [
				await mapItems(fns, scope, async (i) => {
					try {
						switch (operation) {
							case 'anonymiseRelation': {
								const loaded = loadPolicyFor(String(fns.getNodeParameter('sourceDb', i)).trim(), policiesDir(i));
								if (fns.getNodeParameter('tableSelection', i, 'one') === 'all') {
									const jobs = [];
									for (const table of loaded.policy.tables) {
										if (await relationColumns(deps.warehouse, inputRelation(loaded.policy.source_db, table))) jobs.push({ loaded, table });
									}
									const results = await anonymiseTablesAtomically(deps, jobs, { asOf: asOf(i), mode: 'set', build: build(i) });
									return results as unknown as IDataObject[];
								}
								return { ...(await anonymiseRelation(deps, { policy: loaded, table: String(fns.getNodeParameter('table', i)).trim(), asOf: asOf(i), build: build(i) })) };
							}
							case 'rotateSalt': {
								const policies = [...loadPolicies(policiesDir(i)).values()];
								return { ...(await rotateSalt(deps, { saltType: String(fns.getNodeParameter('saltType', i)).trim(), policies, asOf: asOf(i) })) } as unknown as IDataObject;
							}
							case 'forgetUsers': {
								const policies = [...loadPolicies(policiesDir(i)).values()];
								let requests: ForgetRequest[];
								if (fns.getNodeParameter('userSource', i, 'flagged') === 'ids') {
									requests = list(fns.getNodeParameter('userIds', i)).map((userId) => ({ userId }));
								} else {
									const rel = parseRelationName(fns.getNodeParameter('flaggedRelation', i));
									requests = await findFlaggedUsers(
										deps,
										{ ...rel, idColumn: String(fns.getNodeParameter('idColumn', i)).trim(), flagColumn: String(fns.getNodeParameter('flagColumn', i)).trim() },
										fns.getNodeParameter('flaggedLimit', i, 500) as number,
									);
								}
								// Earlier requests whose vault purge did not happen are finished first (their user ids are gone).
								const analytics = fns.getNodeParameter('forgetInAnalyticsDb', i, false) ? createPool(await readPostgresConnection(fns, ANALYTICS_CREDENTIAL), { role: 'anonymise' }) : null;
								try {
									const outcomes = await forgetUsers(deps, { requests, policies, reason: fns.getNodeParameter('reason', i, '') as string, completePartial: true, analytics });
									return outcomes as unknown as IDataObject[];
								} finally {
									await analytics?.end().catch(() => undefined);
								}
							}
							case 'verifyResidue':
								return await verifyResidueItem(fns, i, deps, session.vaultPool, [...loadPolicies(policiesDir(i)).values()]);
							default:
								throw new NodeOperationError(fns.getNode(), `Unknown operation ${String(operation)}`, { itemIndex: i });
						}
					} catch (err) {
						throw err instanceof NodeOperationError ? err : fail(err, i);
					}
				}),
			];
		} finally {
			await session.close();
		}
	}
}

/** Verify Residue for one item: a thin adapter over scanResidue + recordResidueCheck. */
async function verifyResidueItem(fns: IExecuteFunctions, i: number, deps: AnonymiseDeps, vault: pg.Pool | null, policies: LoadedPolicy[]): Promise<IDataObject[]> {
	let subject: ResidueSubject;
	const sourceDb = String(fns.getNodeParameter('residueSourceDb', i, 'auth_db')).trim();
	if (fns.getNodeParameter('residueUsers', i, 'token') === 'token') {
		const token = String(fns.getNodeParameter('verificationToken', i, '') ?? '').trim();
		if (!token) return [];
		subject = { userId: openVerificationToken(deps.secrets.hmacKey, token), sourceDb };
	} else {
		subject = {
			userId: String(fns.getNodeParameter('residueUserId', i)).trim(),
			sourceDb,
			email: String(fns.getNodeParameter('residueEmail', i, '')).trim() || null,
			phone: String(fns.getNodeParameter('residuePhone', i, '')).trim() || null,
		};
	}
	const slot = async <T>(enabled: boolean, label: string, open: () => Promise<T>): Promise<T | null> => {
		if (!enabled) return null;
		try {
			return await open();
		} catch (err) {
			throw new NodeOperationError(fns.getNode(), `${label} is on but its credential is missing or invalid`, {
				description: `Select the credential in the node, or turn ${label} off. ${(err as Error).message}`,
				itemIndex: i,
			});
		}
	};
	const analytics = await slot(Boolean(fns.getNodeParameter('searchAnalyticsDb', i, true)), 'Search Analytics DB', async () =>
		createPool(await readPostgresConnection(fns, ANALYTICS_CREDENTIAL), { role: 'anonymise' }),
	);
	const store = await slot(Boolean(fns.getNodeParameter('searchArchive', i, true)), 'Search the CSV Archive', async () => new ObjectStore(await readObjectStoreConfig(fns)));
	try {
		const archiveDays = loadRegistryFile(String(fns.getNodeParameter('registryFile', i, '')).trim() || undefined).retention.archive_days;
		const report = await scanResidue({ warehouse: deps.warehouse, analytics, vault, store, secrets: deps.secrets, policies, archiveDays }, subject);
		const checkId = await recordResidueCheck(deps.warehouse, report, fns.getExecutionId());
		if (report.residue.length && fns.getNodeParameter('failOnResidue', i, false)) {
			throw new NodeOperationError(fns.getNode(), `Residue left in ${report.residue.length} place(s)`, { description: formatResidueReport(report).join('\n'), itemIndex: i });
		}
		return [
			{
				subjectHmac: report.subjectHmac,
				checkId,
				clean: report.residue.length === 0,
				residuePlaces: report.residue.length,
				holdPlaces: report.holds.length,
				residue: report.residue as unknown as IDataObject[],
				holds: report.holds as unknown as IDataObject[],
				searched: report.searched as unknown as IDataObject,
			},
		];
	} finally {
		await analytics?.end().catch(() => undefined);
		store?.client.destroy();
	}
}
