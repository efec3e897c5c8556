import type { Logger } from 'pino';
import type { DgaExecutor } from './dga-store.ts';
import { SqlDgaStore } from './dga-store.ts';
import { SqliteExecutor } from './sql-sqlite.ts';

export interface SqliteDgaStoreOptions {
  /** The relay's SQLite file (the DGA tables live beside the records). */
  readonly path: string;
  readonly logger: Logger;
  readonly synchronous?: 'full' | 'normal';
}

/**
 * The DGA queue's connection (sql-sqlite.ts): BEGIN IMMEDIATE makes a claim atomic against
 * another connection on the same file (`atalaya relay dga send-pending`), so one relay per file
 * needs no scheduler lock.
 */
class SqliteDgaExecutor extends SqliteExecutor implements DgaExecutor {
  async withSchedulerLock<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T }> {
    return { ran: true, value: await fn() };
  }
}

/** The DGA queue on SQLite. */
export class SqliteDgaStore extends SqlDgaStore {
  constructor(options: SqliteDgaStoreOptions) {
    super(new SqliteDgaExecutor(options, 'dga-store'));
  }
}
