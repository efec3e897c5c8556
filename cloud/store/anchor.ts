/** The anchoring queue's store on the relay's own database (cloud/anchor uses it; see anchor-types.ts). */
import type { Logger } from 'pino';
import type { AnchorStore } from './anchor-types.ts';
import { createRelayDatabase, type StoreConfig } from './database.ts';

/**
 * The anchoring store on a database handle of its own (its start and stop are the handle's): for
 * tests that stand for a second relay process. The relay and `atalaya relay anchor …` take it from
 * their one createRelayDatabase.
 */
export function createAnchorStore(config: StoreConfig, logger: Logger): AnchorStore {
  return createRelayDatabase(config, logger).anchor;
}

export { ANCHOR_CLAIM_LOCK_KEY } from './anchor-sql.ts';
export type * from './anchor-types.ts';
export { BATCH_STATUSES, TX_STATUSES } from './anchor-types.ts';
