export * from './credentialTypes';
export * from './credentialConfig';
export * from './errorDescription';
export * from './nodeErrors';
export * from './pipelineContext';
export * from './items';
export * from './credentialTest';
export * from './registryOptions';
