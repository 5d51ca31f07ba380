import { operationRouter } from '../../shared/router';
import * as enrichItems from './enrichItems.operation';
import * as enrichMartInputs from './enrichMartInputs.operation';
import * as enrichRelation from './enrichRelation.operation';
import * as ingestFxRates from './ingestFxRates.operation';
import * as loadHolidays from './loadHolidays.operation';
import * as loadPlaces from './loadPlaces.operation';

export const router = operationRouter({ enrichRelation, enrichItems, enrichMartInputs, ingestFxRates, loadHolidays, loadPlaces });
