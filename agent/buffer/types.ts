/** The buffer's shapes: what stats() says, and what an open file and a queued append hold. */
import type { Database, Transaction } from 'better-sqlite3';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import type { BufferError } from './errors.ts';
import type { EvictionCounts, Evictor } from './eviction.ts';
import type { BufferHealth } from './health.ts';
import type { NameTable } from './names.ts';
import type { Quarantine } from './quarantine.ts';
import type { Statements } from './statements.ts';
import type { DeviceSeqMark } from './write.ts';

export interface BufferStats {
  /** Records stored (committed, not yet released or evicted). */
  count: number;
  /** Database pages in use × page size; the WAL comes on top (see open.ts JOURNAL_SIZE_LIMIT). */
  bytes: number;
  oldestTs: number | null;
  /** Highest seq ever committed, 0 before the first; survives release and eviction of that row. */
  lastSeq: number;
  /** Records evicted since the file was created, per priority. */
  evicted: EvictionCounts;
  /** Records queued for the next group commit. */
  pending: number;
  /** Whether commits succeed (disk full, I/O error), and the free-space reserve. */
  health: BufferHealth;
}

export type CommittedListener = (records: readonly StoredRecord[]) => void;

/** How an append ends: committed with seqs firstSeq, firstSeq + 1, …, or not with the error. */
export type AppendDone = (err: BufferError | undefined, firstSeq: number) => void;

export interface PendingAppend {
  readonly records: readonly NewRecord[];
  readonly mark: DeviceSeqMark | undefined;
  readonly done: AppendDone;
}

export interface OpenFile {
  readonly db: Database;
  readonly statements: Statements;
  readonly names: NameTable;
  readonly evictor: Evictor;
  readonly quarantine: Quarantine;
  readonly write: Transaction<(records: readonly NewRecord[], firstSeq: number, marks: readonly DeviceSeqMark[]) => void>;
}
