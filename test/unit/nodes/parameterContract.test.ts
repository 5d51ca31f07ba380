import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Anonymise } from '../../../nodes/Anonymise/Anonymise.node';
import { BlobLoadBronze } from '../../../nodes/BlobLoadBronze/BlobLoadBronze.node';
import { DbtRun } from '../../../nodes/DbtRun/DbtRun.node';
import { Enrich } from '../../../nodes/Enrich/Enrich.node';
import { PushBack } from '../../../nodes/PushBack/PushBack.node';
import { WatermarkExtract } from '../../../nodes/WatermarkExtract/WatermarkExtract.node';
import { contractsOf, perOperation } from './parameterContract';

/**
 * The shipped workflows (workflows/) and users' saved workflows name parameters, option values and defaults; a
 * node refactor that changes one silently breaks them. parameterContract.json is the contract as released: change
 * it only together with a node version bump. Compared per operation (see perOperation): whether an operation's
 * parameter is its own copy or shared with another operation is the node's business.
 */
test('node parameters keep their names, types, defaults, option values and display rules', () => {
	const expected = JSON.parse(readFileSync(path.join(__dirname, 'parameterContract.json'), 'utf8'));
	const actual = JSON.parse(JSON.stringify(contractsOf({ Anonymise, BlobLoadBronze, DbtRun, Enrich, PushBack, WatermarkExtract })));
	expect(perOperation(actual)).toEqual(perOperation(expected));
});
