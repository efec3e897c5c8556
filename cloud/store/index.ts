/**
 * The relay store behind one interface (types.ts): SQLite for a single relay, PostgreSQL when
 * several relays share one database. cloud/main.ts picks one from the storage config.
 */
import type { Logger } from 'pino';
import type { RelayStore } from './types.ts';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';

export type StoreConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous?: 'full' | 'normal' }
  | { readonly kind: 'postgres'; readonly url: string; readonly maxConnections?: number };

/** Builds the store; nothing is opened or connected until start(). */
export function createStore(config: StoreConfig, logger: Logger): RelayStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteStore({ path: config.path, logger, synchronous: config.synchronous });
    case 'postgres':
      return new PostgresStore({ url: config.url, logger, maxConnections: config.maxConnections });
    default: {
      const unknown: never = config;
      throw new Error(`unknown store kind ${(unknown as { kind: string }).kind}`);
    }
  }
}

export type { RelayStore } from './types.ts';
export { SqliteStore } from './sqlite.ts';
export { PostgresStore } from './postgres.ts';
