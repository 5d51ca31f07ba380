import { operationRouter } from '../../shared/router';
import * as anonymiseItems from './anonymiseItems.operation';
import * as applyRetention from './applyRetention.operation';
import * as anonymiseRelation from './anonymiseRelation.operation';
import * as forgetUsers from './forgetUsers.operation';
import * as kAnonymityReport from './kAnonymityReport.operation';
import * as piiCheck from './piiCheck.operation';
import * as rotateSalt from './rotateSalt.operation';
import * as verifyResidue from './verifyResidue.operation';

export const router = operationRouter({
	anonymiseRelation,
	anonymiseItems,
	rotateSalt,
	forgetUsers,
	piiCheck,
	kAnonymityReport,
	applyRetention,
	verifyResidue,
});
