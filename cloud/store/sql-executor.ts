/**
 * The one way the relay reaches its database: an async SQL executor per backend (sql-sqlite.ts,
 * sql-postgres.ts), opened once per relay process (database.ts) and shared by the per-feature
 * stores (records, DGA, anchoring). One SQL text serves both backends: parameters are `$1…$n`
 * (PostgreSQL's form; sql-sqlite.ts binds them by name) and column aliases are quoted camelCase,
 * so rows come back in the interfaces' shape.
 */
export type Dialect = 'sqlite' | 'postgres';

export type Query = <R>(sql: string, params: readonly unknown[]) => Promise<{ rows: R[]; count: number }>;

/**
 * One statement once per parameter row, in order, in the caller's transaction (DB-API's
 * executemany): on SQLite one synchronous loop over the prepared statement, without an await per
 * row, which is what keeps a 10 000-record ingest as fast as plain better-sqlite3.
 */
export type QueryMany = <R>(sql: string, rows: ReadonlyArray<readonly unknown[]>) => Promise<Array<{ rows: R[]; count: number }>>;

/**
 * `COPY table (columns) FROM STDIN` with `text` (COPY's text format) as its data, in the caller's
 * transaction; resolves with the rows copied. PostgreSQL only (sql-postgres-copy.ts): SQLite
 * rejects it with STORE_UNAVAILABLE.
 */
export type CopyFrom = (sql: string, text: string) => Promise<number>;

/** What a transaction's body is given: its query, executemany and (PostgreSQL) COPY. */
export type TransactionBody<T> = (query: Query, many: QueryMany, copy: CopyFrom) => Promise<T>;

export interface SqlExecutor {
  readonly dialect: Dialect;
  /** Opens the connection (SQLite) or the pool (PostgreSQL) and applies pending migrations. Idempotent. */
  start(): Promise<void>;
  /** Closes it; every later call fails with STORE_CLOSED. Idempotent. */
  stop(): Promise<void>;
  /** One statement outside a transaction; a failure is thrown as STORE_UNAVAILABLE (coded store errors as they are). */
  query: Query;
  /**
   * Runs `fn` in one transaction, all of it or nothing; `fn` must use the query it is given (on
   * SQLite the executor's own query waits for the transaction to end: calling it inside `fn`
   * deadlocks). SQLite: BEGIN IMMEDIATE (writers serialized up front); PostgreSQL: READ COMMITTED.
   * A failure is thrown as STORE_UNAVAILABLE with the original as cause (coded store errors as they are).
   */
  transaction<T>(operation: string, fn: TransactionBody<T>): Promise<T>;
  /**
   * `transaction`, except that on SQLite `fn` may share one BEGIN … COMMIT (one WAL sync) with the
   * grouped transactions that queued while the previous transaction ran (group commit,
   * sql-sqlite-group.ts): `fn` is still all or nothing (its own savepoint) and the promise settles
   * only after the shared COMMIT. For short, independent writes many requests make at once
   * (ingest). PostgreSQL: exactly `transaction` (each has its own connection).
   */
  groupedTransaction<T>(operation: string, fn: TransactionBody<T>): Promise<T>;
  /**
   * Runs `fn` while this process holds the session-level lock `key` (PostgreSQL:
   * pg_try_advisory_lock on a connection kept for the duration), `ran: false` when another session
   * holds it. SQLite has one relay per file: `fn` always runs.
   */
  withSessionLock<T>(key: bigint, operation: string, fn: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }>;
}

/** `SELECT … FOR UPDATE` where the backend has row locks (SQLite's BEGIN IMMEDIATE already serializes writers). */
export function forUpdate(sql: string, dialect: Dialect): string {
  return dialect === 'postgres' ? `${sql} FOR UPDATE` : sql;
}
