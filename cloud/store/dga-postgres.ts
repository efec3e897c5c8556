import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { DgaExecutor, Query } from './dga-store.ts';
import { SqlDgaStore } from './dga-store.ts';
import { storeClosed, unavailable } from './errors.ts';
import { openMigratedPool, type MigratedPool } from './pg-pool.ts';

export interface PostgresDgaStoreOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Connections of the DGA pool, 1..100; default 3 (one holds the scheduler lock during a tick). */
  readonly maxConnections?: number;
}

/**
 * Key of the session-level advisory lock a relay holds while it runs a DGA tick
 * (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS). 'dgasched' in ASCII.
 * It keeps several relays on one database from all deriving and sending; correctness does not
 * rest on it (a lock lost with its connection lets a second relay in, and the claims in
 * dga-store.ts still allow one send per obra at a time, spacingMs apart).
 */
export const DGA_SCHEDULER_LOCK_KEY = 0x64_67_61_73_63_68_65_64n;


class PostgresDgaExecutor implements DgaExecutor {
  readonly dialect = 'postgres' as const;
  private opened: MigratedPool | undefined;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private readonly log: Logger;

  constructor(private readonly options: PostgresDgaStoreOptions) {
    this.log = options.logger.child({ component: 'dga-store', backend: 'postgres' });
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw storeClosed('start (create a new store)');
    this.opened = await openMigratedPool({ url: this.options.url, max: this.options.maxConnections ?? 3, applicationName: 'atalaya-relay-dga', log: this.log });
    this.state = 'running';
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const opened = this.opened;
    this.opened = undefined;
    await opened?.close();
  }

  readonly query: Query = async (sql, params) => {
    const pool = this.running('query');
    try {
      const result = await pool.query(sql, params.slice());
      return { rows: result.rows, count: result.rowCount ?? 0 };
    } catch (err) {
      throw unavailable('query', err);
    }
  };

  async transaction<T>(operation: string, fn: (query: Query) => Promise<T>): Promise<T> {
    const client = await this.connect(operation);
    let failure: unknown;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await fn(async (sql, params) => {
        const r = await client.query(sql, params.slice());
        return { rows: r.rows, count: r.rowCount ?? 0 };
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failure = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailable(operation, err);
    } finally {
      client.release(failure !== undefined);
    }
  }

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

  private running(operation: string): Pool {
    if (this.state !== 'running' || this.opened === undefined) throw storeClosed(operation);
    return this.opened.pool;
  }

  private async connect(operation: string): Promise<PoolClient> {
    const pool = this.running(operation);
    try {
      return await pool.connect();
    } catch (err) {
      throw unavailable(operation, err);
    }
  }
}

/** The DGA queue on PostgreSQL: several relays may share it. */
export class PostgresDgaStore extends SqlDgaStore {
  constructor(options: PostgresDgaStoreOptions) {
    super(new PostgresDgaExecutor(options));
  }
}
