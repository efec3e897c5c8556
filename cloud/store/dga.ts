/** The DGA queue's store on the relay's own database (cloud/dga uses it; see dga-types.ts). */
import type { Logger } from 'pino';
import { PostgresDgaStore } from './dga-postgres.ts';
import { SqliteDgaStore } from './dga-sqlite.ts';
import type { DgaStore } from './dga-types.ts';
import type { StoreConfig } from './index.ts';

/** Built on the same storage config as the relay store; nothing is opened until start(). */
export function createDgaStore(config: StoreConfig, logger: Logger): DgaStore {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteDgaStore({ path: config.path, logger, synchronous: config.synchronous });
    case 'postgres':
      return new PostgresDgaStore({ url: config.url, logger });
    default: {
      const unknown: never = config;
      throw new Error(`unknown store kind ${(unknown as { kind: string }).kind}`);
    }
  }
}

export type * from './dga-types.ts';
export { SUBMISSION_STATES } from './dga-types.ts';
export { SqliteDgaStore } from './dga-sqlite.ts';
export { PostgresDgaStore, DGA_SCHEDULER_LOCK_KEY } from './dga-postgres.ts';
