import { credentialTestMethods } from '../../shared/credentialTest';
import { DBT_TEST_METHOD } from '../dbtCredential';
import { dataAcuityDbtTest } from './credentialTest';

export const credentialTest = { ...credentialTestMethods, [DBT_TEST_METHOD]: dataAcuityDbtTest };
