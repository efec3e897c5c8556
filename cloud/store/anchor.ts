/** The anchoring queue's store on the relay's own database (cloud/anchor uses it; see anchor-types.ts). */
import type { Logger } from 'pino';
import { SqlAnchorStore } from './anchor-store.ts';
import type { AnchorStore } from './anchor-types.ts';
import type { StoreConfig } from './index.ts';
import { PostgresExecutor } from './sql-postgres.ts';
import { SqliteExecutor } from './sql-sqlite.ts';

/**
 * Connections of the PostgreSQL pool: the engine runs one operation at a time, and the second
 * serves a proof request (recordAnchor) while a claim or a batch read is under way.
 */
const POSTGRES_CONNECTIONS = 2;

/** Built on the same storage config as the relay store; nothing is opened until start(). */
export function createAnchorStore(config: StoreConfig, logger: Logger): AnchorStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqlAnchorStore(new SqliteExecutor({ path: config.path, logger, synchronous: config.synchronous }, 'anchor-store'));
    case 'postgres':
      return new SqlAnchorStore(new PostgresExecutor({ url: config.url, logger, maxConnections: POSTGRES_CONNECTIONS, applicationName: 'atalaya-relay-anchor' }, 'anchor-store'));
    default: {
      const unknown: never = config;
      throw new Error(`unknown store kind ${(unknown as { kind: string }).kind}`);
    }
  }
}

export type * from './anchor-types.ts';
export { BATCH_STATUSES, TX_STATUSES } from './anchor-types.ts';
export { ANCHOR_CLAIM_LOCK_KEY } from './anchor-sql.ts';
