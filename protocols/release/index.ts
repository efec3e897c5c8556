export * from './errors.ts';
export * from './fleet.ts';
export * from './manifest.ts';
export * from './rollout.ts';
export * from './signature.ts';
