import { operationRouter } from '../../shared/router';
import * as listTargets from './listTargets.operation';
import * as push from './push.operation';

export const router = operationRouter({ push, listTargets });
