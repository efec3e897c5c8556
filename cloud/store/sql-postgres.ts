import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { storeClosed, unavailable } from './errors.ts';
import { inTransaction, type MigratedPool, openMigratedPool } from './pg-pool.ts';
import type { CopyFrom, Query, QueryMany, SqlExecutor, TransactionBody } from './sql-executor.ts';
import { copyFrom } from './sql-postgres-copy.ts';

export interface PostgresExecutorOptions {
  /** postgres://user:password@host:port/database (libpq URL; sslmode etc. as query parameters). */
  readonly url: string;
  readonly logger: Logger;
  /** Connections of the relay's pool, 1..1000 (database.ts keeps it at least 3). */
  readonly maxConnections: number;
}

/** What pg_stat_activity shows for the relay's connections. */
export const APPLICATION_NAME = 'atalaya-relay';

/**
 * The relay's one pool on its PostgreSQL database, migrated on start (under an advisory lock, so
 * several relays may start at once), shared by every feature store (database.ts).
 */
export class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  private opened: MigratedPool | undefined;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private readonly log: Logger;
  /**
   * A name per SQL text with parameters: pg prepares a named statement once per connection and
   * then only binds and executes it, so a per-request statement is parsed and planned once.
   */
  private readonly names = new Map<string, string>();

  constructor(private readonly options: PostgresExecutorOptions) {
    this.log = options.logger.child({ component: 'store', backend: 'postgres' });
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw storeClosed('start (create a new store)');
    const opened = await openMigratedPool({ url: this.options.url, max: this.options.maxConnections, applicationName: APPLICATION_NAME, log: this.log });
    this.opened = opened;
    this.state = 'running';
    this.log.info({ from: opened.from, to: opened.to, maxConnections: this.options.maxConnections }, 'relay store started');
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
      const result = await pool.query(this.statement(sql, params));
      return { rows: result.rows, count: result.rowCount ?? 0 };
    } catch (err) {
      throw unavailable('query', err);
    }
  };

  transaction<T>(operation: string, fn: TransactionBody<T>): Promise<T> {
    return inTransaction(this.running(operation), operation, (client) => {
      const query: Query = async (sql, params) => {
        const r = await client.query(this.statement(sql, params));
        return { rows: r.rows, count: r.rowCount ?? 0 };
      };
      // A round trip per row: PostgreSQL callers batch with unnest() instead (records-ingest.ts).
      const many: QueryMany = async <R>(sql: string, rows: ReadonlyArray<readonly unknown[]>) => {
        const results: Array<{ rows: R[]; count: number }> = [];
        for (const params of rows) results.push(await query<R>(sql, params));
        return results;
      };
      const copy: CopyFrom = (sql, text) => copyFrom(client, sql, text);
      return fn(query, many, copy);
    });
  }

  /** Each transaction has its own connection: nothing to group (sql-executor.ts). */
  groupedTransaction<T>(operation: string, fn: TransactionBody<T>): Promise<T> {
    return this.transaction(operation, fn);
  }

  /**
   * The lock is the session's: taken and released on one connection of the pool, kept out of the
   * pool for the duration (docs/storage.md#postgresql-advisory-locks).
   * A connection whose lock or unlock failed is discarded, which releases the lock with its session.
   */
  async withSessionLock<T>(key: bigint, operation: string, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const pool = this.running(operation);
    const client = await pool.connect().catch((err: unknown) => {
      throw unavailable(operation, err);
    });
    let broken = false;
    try {
      const got = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [key.toString()]).catch((err: unknown) => {
        broken = true;
        throw unavailable(operation, err);
      });
      if (got.rows[0]?.got !== true) return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key.toString()]).catch((err: unknown) => {
          broken = true;
          this.log.warn({ err, operation }, 'releasing a session lock failed');
        });
      }
    } finally {
      client.release(broken);
    }
  }

  private statement(text: string, params: readonly unknown[]): { name?: string; text: string; values: unknown[] } {
    if (params.length === 0) return { text, values: [] };
    let name = this.names.get(text);
    if (name === undefined) {
      name = `atalaya_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    return { name, text, values: params.slice() };
  }

  private running(operation: string): Pool {
    if (this.state !== 'running' || this.opened === undefined) throw storeClosed(operation);
    return this.opened.pool;
  }
}
