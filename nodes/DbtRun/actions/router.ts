import { operationRouter } from '../../shared/router';
import * as runCommand from './runCommand.operation';
import * as triggerCloudJob from './triggerCloudJob.operation';
import * as verifyIncident from './verifyIncident.operation';

export const router = operationRouter({ runCommand, triggerCloudJob, verifyIncident });
