import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { storeClosed, unavailable } from './errors.ts';
import { openRelaySqlite } from './migrations-sqlite.ts';
import type { CopyFrom, Query, QueryMany, SqlExecutor, TransactionBody } from './sql-executor.ts';
import { type GroupEntry, MAX_GROUP, runGroup } from './sql-sqlite-group.ts';

export interface SqliteExecutorOptions {
  /** The relay's SQLite file: records, gateways and every feature's tables. */
  readonly path: string;
  readonly logger: Logger;
  /**
   * `full` (default): a batch acknowledged to a gateway survives a power cut, which matters because
   * the gateway deletes what the relay acknowledged. `normal` is faster but may lose the last
   * commits on power loss (never corrupts in WAL mode): docs/storage.md#wal-and-synchronous.
   */
  readonly synchronous?: 'full' | 'normal';
}

/** How long a writer waits for another connection's transaction (a CLI's, another process's), ms. */
const BUSY_TIMEOUT_MS = 5_000;
/** Pause between two tries of a locked database, ms (doubling up to the maximum). */
const BUSY_RETRY_MS = { first: 5, max: 100 };

const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `$1` → `@p1`: better-sqlite3 binds by name, so a parameter may appear twice. */
export const toNamed = (sql: string): string => sql.replace(/\$(\d+)/g, '@p$1');

/**
 * A statement prepared once per SQL text. When its parameters appear once each, in order ($1, $2,
 * …), they become `?` and are bound by position: building a named object per call costs more than
 * the INSERT itself on the per-record ingest path.
 */
interface Prepared {
  readonly statement: Statement;
  readonly positional: boolean;
}

function prepare(db: Database, sql: string): Prepared {
  const order = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  const positional = order.every((n, i) => n === i + 1);
  return { statement: db.prepare(positional ? sql.replace(/\$\d+/g, '?') : toNamed(sql)), positional };
}

/** COPY is PostgreSQL's (sql-executor.ts CopyFrom). */
const noCopy: CopyFrom = () => Promise.reject(unavailable('copy', new Error('COPY is PostgreSQL only')));

const orNull = (v: unknown): unknown => (v === undefined ? null : v);

/**
 * The relay's one connection to its SQLite file, shared by every feature store (database.ts).
 * better-sqlite3 is synchronous but a transaction here spans awaits, so every statement goes
 * through one promise chain: nothing else runs on this connection while a transaction is open.
 * BEGIN IMMEDIATE takes the write lock up front, which is what makes a claim atomic against
 * another connection on the same file (a CLI, say). SQLite's own busy handler would wait for a
 * lock by blocking the thread, which would also block every await of this process: the
 * connection has no busy timeout, and a locked database is retried after a timer instead, up to
 * BUSY_TIMEOUT_MS. Statements are prepared once per SQL text.
 */
export class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;
  private db: Database | undefined;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private readonly statements = new Map<string, Prepared>();
  private chain: Promise<unknown> = Promise.resolve();
  /** The group the next grouped transaction joins (sql-sqlite-group.ts); undefined once it started. */
  private openGroup: GroupEntry[] | undefined;
  private readonly log: Logger;

  constructor(private readonly options: SqliteExecutorOptions) {
    this.log = options.logger.child({ component: 'store', backend: 'sqlite' });
  }

  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'stopped') return Promise.reject(storeClosed('start (create a new store)'));
    try {
      const { db, from, to } = openRelaySqlite(this.options.path, { synchronous: this.options.synchronous, busyTimeoutMs: 0, logger: this.log });
      this.db = db;
      this.state = 'running';
      this.log.info({ path: this.options.path, from, to, synchronous: this.options.synchronous ?? 'full' }, 'relay store started');
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(unavailable('start', err));
    }
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.chain.catch(() => undefined);
    this.statements.clear();
    try {
      this.db?.close();
    } catch (err) {
      this.log.error({ err }, 'closing the relay database failed');
    }
    this.db = undefined;
  }

  readonly query: Query = (sql, params) => this.exclusive('query', async (db) => this.run(db, sql, params));

  transaction<T>(operation: string, fn: TransactionBody<T>): Promise<T> {
    return this.exclusive(operation, async (db) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const query: Query = async (sql, params) => this.run(db, sql, params);
        const many: QueryMany = async (sql, rows) => this.runMany(db, sql, rows);
        const result = await fn(query, many, noCopy);
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** Shares a commit with the grouped transactions that queue while another runs (sql-sqlite-group.ts). */
  groupedTransaction<T>(operation: string, fn: TransactionBody<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: GroupEntry = { operation, fn, resolve: resolve as (value: unknown) => void, reject };
      if (this.openGroup !== undefined && this.openGroup.length < MAX_GROUP) {
        this.openGroup.push(entry);
        return;
      }
      const group = [entry];
      this.openGroup = group;
      // Queued on the next turn of the event loop, not at once: better-sqlite3 holds the thread for
      // a whole group, so nothing can arrive while one runs, and requests reach ingest one I/O
      // callback at a time. Every one that gets here in the same turn (before the check phase) joins
      // this group and shares its commit; started at once, each request was a group of one and paid
      // its own WAL sync (issue 18, test/integration/store-group-commit.test.ts).
      setImmediate(() => {
        this.exclusive(operation, async (db) => {
          // Closed when it starts: later arrivals form the next group while this one commits.
          if (this.openGroup === group) this.openGroup = undefined;
          const query: Query = async (sql, params) => this.run(db, sql, params);
          const many: QueryMany = async (sql, rows) => this.runMany(db, sql, rows);
          await runGroup(db, group, query, many, noCopy);
        }).catch((err: unknown) => {
          if (this.openGroup === group) this.openGroup = undefined;
          for (const member of group) member.reject(err);
        });
      });
    });
  }

  async withSessionLock<T>(_key: bigint, _operation: string, fn: () => Promise<T>): Promise<{ ran: true; value: T }> {
    return { ran: true, value: await fn() };
  }

  private exclusive<T>(operation: string, body: (db: Database) => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      const deadline = Date.now() + BUSY_TIMEOUT_MS;
      for (let pause = BUSY_RETRY_MS.first; ; pause = Math.min(pause * 2, BUSY_RETRY_MS.max)) {
        if (this.state !== 'running' || this.db === undefined) throw storeClosed(operation);
        try {
          return await body(this.db);
        } catch (err) {
          // A statement or BEGIN that met another connection's lock changed nothing: try again.
          if (!isBusy(err) || this.db.inTransaction || Date.now() + pause > deadline) throw unavailable(operation, err);
        }
        await sleep(pause);
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private prepared(db: Database, sql: string): Prepared {
    let prepared = this.statements.get(sql);
    if (prepared === undefined) {
      prepared = prepare(db, sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  /**
   * One statement per row (the per-record ingest, issue 18): looked up once, and a row without
   * undefined values is bound as it is, without a copy per row.
   */
  private runMany<R>(db: Database, sql: string, rows: ReadonlyArray<readonly unknown[]>): Array<{ rows: R[]; count: number }> {
    const { statement, positional } = this.prepared(db, sql);
    if (!positional || statement.reader) return rows.map((params) => this.run<R>(db, sql, params));
    const out = new Array<{ rows: R[]; count: number }>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const params = rows[i] as readonly unknown[];
      out[i] = { rows: [], count: statement.run(params.includes(undefined) ? params.map(orNull) : params).changes };
    }
    return out;
  }

  private run<R>(db: Database, sql: string, params: readonly unknown[]): { rows: R[]; count: number } {
    const { statement, positional } = this.prepared(db, sql);
    const bound: unknown[] = positional ? params.map(orNull) : [Object.fromEntries(params.map((v, i) => [`p${i + 1}`, orNull(v)]))];
    if (statement.reader) {
      const rows = statement.all(...bound) as R[];
      return { rows, count: rows.length };
    }
    return { rows: [], count: statement.run(...bound).changes };
  }
}
