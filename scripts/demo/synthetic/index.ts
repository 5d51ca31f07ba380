import { authDb } from './authDb';
import { bidbaasDb } from './bidbaasDb';
import { ledgerDb } from './ledgerDb';
import { sdpktDb } from './sdpktDb';
import { tagmeDb } from './tagmeDb';
import type { SyntheticSource } from './source';

/** The source databases `npm run demo` creates; their tables are the only registry entries it enables. */
export const SYNTHETIC_SOURCES: SyntheticSource[] = [authDb, ledgerDb, tagmeDb, bidbaasDb, sdpktDb];
