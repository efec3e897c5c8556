import type { Logger } from 'pino';
import type { DgaExecutor } from './dga-store.ts';
import { SqlDgaStore } from './dga-store.ts';
import { unavailable } from './errors.ts';
import { PostgresExecutor } from './sql-postgres.ts';

export interface PostgresDgaStoreOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Connections of the DGA pool, 1..100; default 3 (one holds the scheduler lock during a tick). */
  readonly maxConnections?: number;
}

/**
 * Key of the session-level advisory lock a relay holds while it runs a DGA tick
 * (docs/storage.md#postgresql-advisory-locks). 'dgasched' in ASCII.
 * It keeps several relays on one database from all deriving and sending; correctness does not
 * rest on it (a lock lost with its connection lets a second relay in, and the claims in
 * dga-store.ts still allow one send per obra at a time, spacingMs apart).
 */
export const DGA_SCHEDULER_LOCK_KEY = 0x64_67_61_73_63_68_65_64n;

class PostgresDgaExecutor extends PostgresExecutor implements DgaExecutor {
  /** The lock is the session's: taken and released on one connection, held for the tick. */
  async withSchedulerLock<T>(fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const client = await this.connect('schedulerLock');
    let broken = false;
    try {
      const got = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [DGA_SCHEDULER_LOCK_KEY.toString()]).catch((err: unknown) => {
        broken = true;
        throw unavailable('schedulerLock', err);
      });
      if (got.rows[0]?.got !== true) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [DGA_SCHEDULER_LOCK_KEY.toString()]).catch((err: unknown) => {
          // Dropping the connection releases the lock with the session.
          broken = true;
          this.log.warn({ err }, 'releasing the DGA scheduler lock failed');
        });
      }
    } finally {
      client.release(broken);
    }
  }
}

/** The DGA queue on PostgreSQL: several relays may share it. */
export class PostgresDgaStore extends SqlDgaStore {
  constructor(options: PostgresDgaStoreOptions) {
    super(new PostgresDgaExecutor({ url: options.url, logger: options.logger, maxConnections: options.maxConnections ?? 3, applicationName: 'atalaya-relay-dga' }, 'dga-store'));
  }
}
