import { credentialTestMethods } from '../../shared/credentialTest';
import { anonymisationSecretsTest, SECRETS_TEST_METHOD } from '../secretsCredential';

export const credentialTest = { ...credentialTestMethods, [SECRETS_TEST_METHOD]: anonymisationSecretsTest };
