import { authDb } from './authDb';
import { bidbaasDb } from './bidbaasDb';
import { ledgerDb } from './ledgerDb';
import { messagingDb } from './messagingDb';
import { sdpktDb } from './sdpktDb';
import { tagmeDb } from './tagmeDb';
import { takemehomeDb } from './takemehomeDb';
import { whatwewantDb } from './whatwewantDb';
import type { SyntheticSource } from './source';

/** The source databases `npm run demo` creates; their tables are the only registry entries it enables. */
export const SYNTHETIC_SOURCES: SyntheticSource[] = [authDb, ledgerDb, tagmeDb, bidbaasDb, sdpktDb, messagingDb, takemehomeDb, whatwewantDb];
