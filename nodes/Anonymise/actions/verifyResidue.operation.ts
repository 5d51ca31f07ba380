import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { loadPolicies } from '../../../src/anonymise/policyLoader';
import { recordResidueCheck } from '../../../src/anonymise/residueChecks';
import { formatResidueReport, scanResidue, type ResidueSubject } from '../../../src/anonymise/residueScan';
import type { AnonymiseSession } from '../../../src/anonymise/session';
import { openVerificationToken } from '../../../src/anonymise/verificationToken';
import { createPool } from '../../../src/transport/postgres';
import { ObjectStore } from '../../../src/transport/objectStore';
import { ANALYTICS_CREDENTIAL } from '../../shared/credentialTypes';
import { forOperation, showWhen } from '../../shared/descriptions';
import { executeItems } from '../../shared/items';
import { booleanParameter, optionsParameter, requiredText, secretParameter, textParameter } from '../../shared/parameters';
import { readObjectStoreConfig, readPostgresConnection } from '../../shared/pipelineContext';
import { anonymiseSession, archiveDaysOf, options, optionsOf, registryFile, text } from './common.descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Verify Residue',
	value: 'verifyResidue',
	action: 'Verify nothing of a forgotten user is left',
	description:
		'Search the warehouse, analytics_db, the vault and the CSV archive for a forgotten person; places and counts, never values; recorded for v_residue_alerts',
};

const properties: INodeProperties[] = [
	optionsParameter('Users', 'residueUsers', { default: 'token' }, [
		{
			name: 'From Forget Users Output',
			value: 'token',
			description: "The verificationToken of each Forget Users item (the user ID sealed under the credential's key)",
		},
		{ name: 'Given User ID', value: 'ids', description: 'One user ID per item, with its e-mail and phone if known' },
	]),
	secretParameter('Verification Token', 'verificationToken', {
		default: '={{ $json.verificationToken }}',
		description: 'Items without one (nobody was forgotten, or a retried partial request) are skipped',
		displayOptions: showWhen('residueUsers', 'token'),
	}),
	...updateDisplayOptions(showWhen('residueUsers', 'ids'), [
		requiredText('User ID', 'residueUserId', { default: '={{ $json.user_id }}' }),
		{
			displayName: 'E-Mail',
			name: 'residueEmail',
			type: 'string',
			placeholder: 'name@email.com',
			default: '',
			description: 'Also search for this address (free text and CSVs quote it)',
		},
		textParameter('Phone', 'residuePhone', { description: 'Also search for this number (as given, and 0… / 27… for a +27 number)' }),
	]),
	textParameter('Source Database of the IDs', 'residueSourceDb', {
		default: 'auth_db',
		description: 'A source database whose policy declares a subject column (the user IDs are its IDs)',
	}),
	booleanParameter('Search Analytics DB', 'searchAnalyticsDb', true, 'Whether to search every analytics_db table too (needs the analytics_db credential)'),
	booleanParameter(
		'Search the CSV Archive',
		'searchArchive',
		true,
		'Whether to search every CSV under exports/ and processed/ too (needs the Object Store credential)',
	),
	booleanParameter(
		'Fail on Residue',
		'failOnResidue',
		false,
		'Whether residue fails the node. Off: CSVs the archive retention removes before the deadline are expected right after forgetting, and v_residue_alerts raises what outlives the SLA.',
	),
	registryFile,
	options,
];

export const description = forOperation(option, properties);

/** A thin adapter over scanResidue + recordResidueCheck: one check per item, places and counts, never values. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, anonymiseSession(this), async (session, i) => verifyOne(this, session, i));
}

async function verifyOne(fns: IExecuteFunctions, { deps, vaultPool }: AnonymiseSession, i: number): Promise<IDataObject[]> {
	const subject = subjectOf(fns, deps.secrets.hmacKey, i);
	if (!subject) return [];
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
	const store = await slot(
		Boolean(fns.getNodeParameter('searchArchive', i, true)),
		'Search the CSV Archive',
		async () => new ObjectStore(await readObjectStoreConfig(fns)),
	);
	try {
		const policies = [...loadPolicies(optionsOf(fns, i).policiesDir).values()];
		const report = await scanResidue(
			{ warehouse: deps.warehouse, analytics, vault: vaultPool, store, secrets: deps.secrets, policies, archiveDays: archiveDaysOf(fns, i) },
			subject,
		);
		const checkId = await recordResidueCheck(deps.warehouse, report, fns.getExecutionId());
		if (report.residue.length && fns.getNodeParameter('failOnResidue', i, false)) {
			throw new NodeOperationError(fns.getNode(), `Residue left in ${report.residue.length} place(s)`, {
				description: formatResidueReport(report).join('\n'),
				itemIndex: i,
			});
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

/** The person item `i` asks about: from a Forget Users verificationToken, or given; null when the item has no token. */
function subjectOf(fns: IExecuteFunctions, hmacKey: Parameters<typeof openVerificationToken>[0], i: number): ResidueSubject | null {
	const sourceDb = text(fns, 'residueSourceDb', i);
	if (fns.getNodeParameter('residueUsers', i, 'token') === 'token') {
		const token = String(fns.getNodeParameter('verificationToken', i, '') ?? '').trim();
		return token ? { userId: openVerificationToken(hmacKey, token), sourceDb } : null;
	}
	return {
		userId: text(fns, 'residueUserId', i),
		sourceDb,
		email: String(fns.getNodeParameter('residueEmail', i, '')).trim() || null,
		phone: String(fns.getNodeParameter('residuePhone', i, '')).trim() || null,
	};
}
