import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import { storeClosed, unavailable } from './errors.ts';
import { inTransaction, openMigratedPool, type MigratedPool } from './pg-pool.ts';
import type { Query, SqlExecutor } from './sql-executor.ts';

export interface PostgresExecutorOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Connections of the store's pool, 1..100. */
  readonly maxConnections: number;
  /** What pg_stat_activity shows for the pool's connections. */
  readonly applicationName: string;
}

/** A queue store's own pool on the relay database, migrated on start. */
export class PostgresExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  private opened: MigratedPool | undefined;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  protected readonly log: Logger;

  /** `component` names the store in its log lines ('dga-store', 'anchor-store'). */
  constructor(private readonly options: PostgresExecutorOptions, component: string) {
    this.log = options.logger.child({ component, backend: 'postgres' });
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw storeClosed('start (create a new store)');
    this.opened = await openMigratedPool({ url: this.options.url, max: this.options.maxConnections, applicationName: this.options.applicationName, log: this.log });
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

  transaction<T>(operation: string, fn: (query: Query) => Promise<T>): Promise<T> {
    return inTransaction(this.running(operation), operation, (client) =>
      fn(async (sql, params) => {
        const r = await client.query(sql, params.slice());
        return { rows: r.rows, count: r.rowCount ?? 0 };
      }),
    );
  }

  private running(operation: string): Pool {
    if (this.state !== 'running' || this.opened === undefined) throw storeClosed(operation);
    return this.opened.pool;
  }

  /** A connection of the pool for a session-level lock or a transaction; the caller releases it. */
  protected async connect(operation: string): Promise<PoolClient> {
    const pool = this.running(operation);
    try {
      return await pool.connect();
    } catch (err) {
      throw unavailable(operation, err);
    }
  }
}
