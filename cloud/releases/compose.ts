/**
 * The relay's release hosting, built by cloud/main.ts when releases.enabled: the service (the
 * fleet part `update`) and its routes on the relay's database and key.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { Guard } from '../http/auth.ts';
import type { Auditor } from '../identity/audit.ts';
import { SqlReleasesStore } from '../store/releases-store.ts';
import type { SqlExecutor } from '../store/sql-executor.ts';
import type { ReleasesConfig } from './config.ts';
import { loadReleaseKeys } from './keys.ts';
import { registerReleaseRoutes } from './routes.ts';
import { ReleaseService } from './service.ts';

export interface ReleasesComposeOptions {
  readonly config: ReleasesConfig;
  readonly executor: SqlExecutor;
  readonly relayKey: Uint8Array;
  /** Authentication and the permission of each route (cloud/http/auth.ts). */
  readonly guard: Guard;
  /** Records each rollout made over HTTP. */
  readonly auditor?: Auditor;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** undefined when releases are off; throws ATALAYA_RELEASES_KEY_UNREADABLE for a bad key (at start, not at the first poll). */
export async function registerReleases(app: FastifyInstance, o: ReleasesComposeOptions): Promise<ReleaseService | undefined> {
  if (!o.config.enabled) return undefined;
  const store = new SqlReleasesStore(o.executor);
  const service = new ReleaseService({
    store,
    keys: loadReleaseKeys(o.config.publicKeys),
    dir: o.config.dir,
    urlKey: o.relayKey,
    urlTtlMs: o.config.urlTtlS * 1000,
    clock: o.clock,
    logger: o.logger,
  });
  await registerReleaseRoutes(app, { service, store, urlKey: o.relayKey, guard: o.guard, auditor: o.auditor, clock: o.clock });
  return service;
}
