/** The DGA queue's store on the relay's own database (cloud/dga uses it; see dga-types.ts). */
import type { Logger } from 'pino';
import { createRelayDatabase, type StoreConfig } from './database.ts';
import type { DgaStore } from './dga-types.ts';

/**
 * The DGA store on a database handle of its own (its start and stop are the handle's): for tests
 * that stand for a second relay process. The relay takes it from its one createRelayDatabase.
 */
export function createDgaStore(config: StoreConfig, logger: Logger): DgaStore {
  return createRelayDatabase(config, logger).dga;
}

export { DGA_SCHEDULER_LOCK_KEY } from './dga-sql.ts';
export { SqlDgaStore } from './dga-store.ts';
export type * from './dga-types.ts';
export { SUBMISSION_STATES } from './dga-types.ts';
