import { operationRouter } from '../../shared/router';
import * as extract from './extract.operation';
import * as reconcile from './reconcile.operation';

export const router = operationRouter({ extract, reconcile });
