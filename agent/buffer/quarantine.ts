import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { StoredRecord } from '../../protocols/records.ts';
import type { RecordProblem } from '../../protocols/records-errors.ts';
import type { Statements } from './statements.ts';

/** A record read from the buffer that the record check refuses, and why. */
export interface Refused {
  readonly record: StoredRecord;
  readonly problem: RecordProblem;
}

/**
 * Rows the wire refuses can only predate the record check at append (issue 12): files written by
 * an older agent. The sync hands them here as it meets them; they move, in one transaction, from
 * their records table to `quarantine` (migration 3), so they are never sent, never selected again
 * and never forgotten by a restart, and their count is what the metrics report.
 */
export class Quarantine {
  private readonly insert: Statement<[number, string, string, string, number]>;
  private readonly move: Transaction<(refused: readonly Refused[], at: number) => number>;
  private held: number;

  constructor(db: Database, statements: Pick<Statements, 'releaseOne'>) {
    this.insert = db.prepare('INSERT OR IGNORE INTO quarantine (seq, record, path, expected, at) VALUES (?, ?, ?, ?, ?)');
    const [ordinary, dga, alarm] = statements.releaseOne;
    this.move = db.transaction((refused: readonly Refused[], at: number) => {
      let moved = 0;
      for (const { record, problem } of refused) {
        const removed = ordinary.run(record.seq).changes || dga.run(record.seq).changes || alarm.run(record.seq).changes;
        if (removed === 0) continue;
        // JSON writes ±Infinity and NaN as null: the path says which field was wrong anyway.
        this.insert.run(record.seq, JSON.stringify(record), problem.path, problem.expected, at);
        moved++;
      }
      return moved;
    });
    this.held = db.prepare('SELECT count(*) FROM quarantine').pluck().get() as number;
  }

  /** Records moved (rows already gone are skipped); throws the SQLite error, nothing moved. */
  add(refused: readonly Refused[], at: number): number {
    const moved = this.move.immediate(refused, at);
    this.held += moved;
    return moved;
  }

  /** Rows in the quarantine table: since the file was created. */
  count(): number {
    return this.held;
  }
}
