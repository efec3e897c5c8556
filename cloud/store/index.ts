/**
 * The relay's storage (README.md): one executor per relay process (database.ts) and the
 * per-feature stores on it. SQLite for a single relay, PostgreSQL when several relays share one
 * database; cloud/main.ts builds it from the storage config.
 */
import type { Logger } from 'pino';
import { createRelayDatabase, type StoreConfig } from './database.ts';
import type { RelayStore } from './types.ts';

/**
 * The records store on a database handle of its own (its start and stop are the handle's): for
 * tests and tools that stand for one relay process and need no other feature. The relay and the
 * CLI build one createRelayDatabase and take every store from it.
 */
export function createStore(config: StoreConfig, logger: Logger): RelayStore {
  return createRelayDatabase(config, logger).records;
}

export { createRelayDatabase, type RelayDatabase, type StoreConfig } from './database.ts';
export type { RelayStore } from './types.ts';
