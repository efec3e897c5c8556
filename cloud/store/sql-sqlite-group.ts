/**
 * Group commit on the relay's SQLite connection (sql-sqlite.ts): transactions that queue while
 * another one runs share the next BEGIN IMMEDIATE … COMMIT, so 100 gateways posting at once cost
 * one WAL sync per group instead of one per request (issue 18). Each transaction keeps its own
 * all-or-nothing: it runs in a savepoint of the shared transaction, and a failure rolls back only
 * that savepoint and rejects only its caller. Every caller is answered after the shared COMMIT (or
 * with its error when the COMMIT fails), so an acknowledgement still means durable.
 */
import type { Database } from 'better-sqlite3';
import { unavailable } from './errors.ts';
import type { CopyFrom, Query, QueryMany, TransactionBody } from './sql-executor.ts';

/** Most transactions in one group: bounds how long one commit holds the event loop. Count, 1–1000. */
export const MAX_GROUP = 64;

export interface GroupEntry {
  readonly operation: string;
  readonly fn: TransactionBody<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

type Settled = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly err: unknown };

/**
 * Runs the group's transactions in one SQLite transaction; the caller (the executor's exclusive
 * chain) retries it whole when BEGIN met another connection's lock, so it must not settle anything
 * before the COMMIT.
 */
export async function runGroup(db: Database, entries: readonly GroupEntry[], query: Query, many: QueryMany, copy: CopyFrom): Promise<void> {
  const settled: Settled[] = [];
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const entry of entries) {
      db.exec('SAVEPOINT grouped');
      try {
        const value = await entry.fn(query, many, copy);
        db.exec('RELEASE grouped');
        settled.push({ ok: true, value });
      } catch (err) {
        // ROLLBACK TO also cancels any savepoint the transaction left open inside this one.
        db.exec('ROLLBACK TO grouped');
        db.exec('RELEASE grouped');
        settled.push({ ok: false, err: unavailable(entry.operation, err) });
      }
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  entries.forEach((entry, i) => {
    const result = settled[i] as Settled;
    if (result.ok) entry.resolve(result.value);
    else entry.reject(result.err);
  });
}
