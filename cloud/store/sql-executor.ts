/**
 * The async SQL executor the relay's queue stores (DGA, anchoring) are written against: one SQL
 * text for both backends, with parameters as `$1…$n` (PostgreSQL's form; sql-sqlite.ts binds
 * them by name) and quoted camelCase column aliases, so rows come back in the interfaces' shape.
 */
export type Dialect = 'sqlite' | 'postgres';

export type Query = <R>(sql: string, params: readonly unknown[]) => Promise<{ rows: R[]; count: number }>;

export interface SqlExecutor {
  readonly dialect: Dialect;
  start(): Promise<void>;
  stop(): Promise<void>;
  query: Query;
  /**
   * Runs `fn` in one transaction, all of it or nothing; `fn` must use the query it is given.
   * SQLite: BEGIN IMMEDIATE (writers serialized up front); PostgreSQL: READ COMMITTED.
   * A failure is thrown as STORE_UNAVAILABLE with the original as cause (coded store errors as they are).
   */
  transaction<T>(operation: string, fn: (query: Query) => Promise<T>): Promise<T>;
}

/** `SELECT … FOR UPDATE` where the backend has row locks (SQLite's BEGIN IMMEDIATE already serializes writers). */
export function forUpdate(sql: string, dialect: Dialect): string {
  return dialect === 'postgres' ? `${sql} FOR UPDATE` : sql;
}
