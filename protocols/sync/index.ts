/** The sync contract between the agent (agent/sync) and the relay (cloud/ingest): one import for both sides. */

export * from './batch.ts';
export * from './canonical.ts';
export * from './errors.ts';
export * from './response-signature.ts';
export * from './schemas.ts';
export * from './signature.ts';
export * from './types.ts';
