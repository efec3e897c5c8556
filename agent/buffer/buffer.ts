import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Database, Transaction } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { NewRecord, RecordKind, StoredRecord } from '../../protocols/records.ts';
import { closedError, openFailed, writeFailed } from './errors.ts';
import type { BufferError } from './errors.ts';
import { Evictor } from './eviction.ts';
import type { EvictionCounts } from './eviction.ts';
import { backupBeforeUpgrade } from './backup.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { resolveBufferOptions } from './options.ts';
import type { BufferOptions, ResolvedBufferOptions } from './options.ts';
import { checkRecords, decodeAlarmState, decodeRow, toStored } from './codec.ts';
import type { AlarmStateEntry, AlarmStateRow, RecordRow } from './codec.ts';
import { NameTable } from './names.ts';
import { Quarantine } from './quarantine.ts';
import type { Refused } from './quarantine.ts';
import { prepareStatements } from './statements.ts';
import type { Statements } from './statements.ts';
import { writeRecords } from './write.ts';

export type { BufferOptions } from './options.ts';
export type { AlarmStateEntry } from './codec.ts';
export type { Refused } from './quarantine.ts';

export interface BufferStats {
  /** Records stored (committed, not yet released or evicted). */
  count: number;
  /** Database pages in use × page size; the WAL comes on top (see JOURNAL_SIZE_LIMIT). */
  bytes: number;
  oldestTs: number | null;
  /** Highest seq ever committed, 0 before the first; survives release and eviction of that row. */
  lastSeq: number;
  /** Records evicted since the file was created, per priority. */
  evicted: EvictionCounts;
  /** Records queued for the next group commit. */
  pending: number;
}

export type CommittedListener = (records: readonly StoredRecord[]) => void;

interface PendingAppend {
  readonly records: readonly NewRecord[];
  readonly resolve: (seqs: number[]) => void;
  readonly reject: (err: BufferError) => void;
}

interface OpenFile {
  readonly db: Database;
  readonly statements: Statements;
  readonly names: NameTable;
  readonly evictor: Evictor;
  readonly quarantine: Quarantine;
  readonly write: Transaction<(records: readonly NewRecord[], firstSeq: number) => void>;
}

/** The WAL is truncated back to this after a checkpoint, bytes (docs/storage.md#wal-and-synchronous). */
const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

/**
 * The durable store-and-forward buffer: every record lands here before anything else sees it.
 * Appends are group-committed (one transaction per commitIntervalMs window or maxBatch rows); an
 * append resolves only once its rows are committed. One RecordBuffer owns a file: a second writer
 * on the same file fails its commits on the seq primary key instead of corrupting anything.
 */
export class RecordBuffer {
  private readonly options: ResolvedBufferOptions;
  private readonly log: Logger;
  private readonly listeners = new Set<CommittedListener>();
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private file: OpenFile | undefined;
  private queue: PendingAppend[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  /** clock.monotonic() of the last group commit: the next window closes commitIntervalMs after it. */
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private immediate: NodeJS.Immediate | undefined;
  private nextSeq = 1;
  private count = 0;

  constructor(options: BufferOptions) {
    this.options = resolveBufferOptions(options);
    this.log = this.options.logger.child({ component: 'buffer' });
  }

  start(): void {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw closedError('start (create a new RecordBuffer)');
    const db = this.open();
    try {
      backupBeforeUpgrade(db, this.options.path, MIGRATIONS.length, this.options.clock.now(), this.log);
      migrate(db, this.log);
      const statements = prepareStatements(db);
      const names = new NameTable(statements);
      names.load();
      const evictor = new Evictor(db, statements, { ...this.options, logger: this.log });
      const write = db.transaction((records: readonly NewRecord[], firstSeq: number) => writeRecords(statements, names, records, firstSeq));
      this.file = { db, statements, names, evictor, quarantine: new Quarantine(db, statements), write };
      const maxSeq = (statements.maxSeq.get() as number | null) ?? 0;
      this.nextSeq = Math.max(statements.getNextSeq.get() as number, maxSeq + 1);
      this.count = statements.count.get() as number;
      this.state = 'running';
      this.evict();
      this.log.info({ path: this.options.path, durability: this.options.durability, count: this.count, nextSeq: this.nextSeq, bytes: evictor.usedBytes() }, 'buffer started');
    } catch (err) {
      this.state = 'idle';
      this.file = undefined;
      db.close();
      throw err;
    }
  }

  /** Commits what is queued, then closes. Idempotent; the buffer cannot be started again. */
  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.clearTimers();
    if (this.file !== undefined) {
      while (this.queue.length > 0) this.commitNext();
      try {
        this.file.db.close();
      } catch (err) {
        this.log.error({ err }, 'closing the buffer failed');
      }
      this.file = undefined;
    }
    this.listeners.clear();
    if (wasRunning) this.log.info({ lastSeq: this.nextSeq - 1 }, 'buffer stopped');
    return Promise.resolve();
  }

  append(records: readonly NewRecord[]): Promise<number[]> {
    if (this.state !== 'running') return Promise.reject(closedError('append'));
    const invalid = checkRecords(records);
    if (invalid !== undefined) return Promise.reject(invalid);
    if (records.length === 0) return Promise.resolve([]);
    // A copy: the caller may reuse its array before the window closes.
    const copy = records.slice();
    return new Promise<number[]>((resolve, reject) => {
      this.queue.push({ records: copy, resolve, reject });
      this.queuedRows += copy.length;
      this.schedule();
    });
  }

  /** Commits everything queued now; rejects with the first commit's error if one failed (its appends reject too). */
  flush(): Promise<void> {
    this.clearTimers();
    let failure: BufferError | undefined;
    while (this.queue.length > 0 && this.file !== undefined) {
      const result = this.commitNext();
      failure ??= result;
    }
    return failure === undefined ? Promise.resolve() : Promise.reject(failure);
  }

  readAfter(afterSeq: number, limit: number, kind?: RecordKind): StoredRecord[] {
    const { statements, names } = this.running('readAfter');
    const statement =
      kind === undefined ? statements.readAfter : kind === 'alarm' ? statements.readAlarmsAfter : statements.readReadingsAfter;
    const rows = statement.all(afterSeq, afterSeq, afterSeq, limit) as RecordRow[];
    return rows.map((row) => decodeRow(row, names));
  }

  releaseUpTo(uptoSeq: number): number {
    const { db, statements } = this.running('releaseUpTo');
    const removed = db.transaction(() => statements.releaseUpTo.reduce((n, statement) => n + statement.run(uptoSeq).changes, 0))();
    this.count -= removed;
    return removed;
  }

  release(seqs: readonly number[]): number {
    const { db, statements } = this.running('release');
    const [ordinary, dga, alarm] = statements.releaseOne;
    const removed = db.transaction(() => {
      let n = 0;
      // A seq lives in exactly one of the tables: ordinary is the likeliest, so it is tried first.
      for (const seq of seqs) n += ordinary.run(seq).changes || dga.run(seq).changes || alarm.run(seq).changes;
      return n;
    })();
    this.count -= removed;
    return removed;
  }

  /**
   * Moves records the record check refuses out of the queue into the quarantine table, in one
   * transaction (quarantine.ts); returns how many moved. Only rows older than that check can need it.
   */
  quarantine(refused: readonly Refused[]): number {
    const { quarantine } = this.running('quarantine');
    const moved = quarantine.add(refused, this.options.clock.now());
    this.count -= moved;
    return moved;
  }

  /** Records in the quarantine table since the file was created. */
  quarantined(): number {
    return this.running('quarantined').quarantine.count();
  }

  /**
   * Whether record `seq` was committed and is still held: the sync releases a record only once the
   * relay acknowledged it, so false means acknowledged (or evicted from a full buffer). Local
   * paging (agent/paging) asks this before it pages.
   */
  holds(seq: number): boolean {
    return this.running('holds').statements.holds.get(seq, seq, seq) === 1;
  }

  stats(): BufferStats {
    const { statements, evictor } = this.running('stats');
    return {
      count: this.count,
      bytes: evictor.usedBytes(),
      oldestTs: (statements.oldestTs.get() as number | null) ?? null,
      lastSeq: this.nextSeq - 1,
      evicted: evictor.totals(),
      pending: this.queuedRows,
    };
  }

  /**
   * Latest committed reading (kind 'reading') per (device, channel), ascending seq; kept even after
   * release/eviction. Alarm records never replace a channel's reading here: see alarmStates().
   */
  latest(): StoredRecord[] {
    const { statements, names } = this.running('latest');
    return (statements.latest.all() as RecordRow[]).map((row) => decodeRow(row, names));
  }

  /**
   * Current state per (device, channel, alarm rule), set by the last alarm record of that rule and
   * committed with it; ascending seq; kept after release/eviction of the records. Cleared alarms
   * stay listed with state 'cleared'.
   */
  alarmStates(): AlarmStateEntry[] {
    const { statements, names } = this.running('alarmStates');
    return (statements.alarmStates.all() as AlarmStateRow[]).map((row) => decodeAlarmState(row, names));
  }

  on(event: 'committed', listener: CommittedListener): this {
    if (event === 'committed') this.listeners.add(listener);
    return this;
  }

  off(event: 'committed', listener: CommittedListener): this {
    if (event === 'committed') this.listeners.delete(listener);
    return this;
  }

  private open(): Database {
    const { path: file, durability } = this.options;
    let db: Database | undefined;
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Sqlite(file, { timeout: this.options.busyTimeoutMs });
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, WAL unavailable`);
      // docs/storage.md#wal-and-synchronous: in WAL mode NORMAL is crash-safe for the
      // process, FULL also syncs the WAL on every commit.
      db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      return db;
    } catch (err) {
      db?.close();
      throw openFailed(file, err);
    }
  }

  private running(operation: string): OpenFile {
    if (this.state !== 'running' || this.file === undefined) throw closedError(operation);
    return this.file;
  }

  private schedule(): void {
    if (this.queuedRows >= this.options.maxBatch || this.options.commitIntervalMs === 0) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate ??= setImmediate(this.onWindowEnd);
    } else if (this.timer === undefined && this.immediate === undefined) {
      // The window runs from the previous commit, not from this append: after a quiet spell an
      // append commits on the next turn of the event loop (no added latency for a lone poll or
      // a QoS 1 publish waiting for its PUBACK), while under load commits stay at most one per
      // commitIntervalMs, which is what bounds SD-card writes.
      const wait = this.lastCommitAt + this.options.commitIntervalMs - this.options.clock.monotonic();
      if (wait <= 0) this.immediate = setImmediate(this.onWindowEnd);
      else this.timer = setTimeout(this.onWindowEnd, wait);
    }
  }

  private readonly onWindowEnd = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.commitNext();
    // What is left arrived during the window that just closed: it has waited long enough.
    if (this.queue.length > 0 && this.state === 'running') this.immediate = setImmediate(this.onWindowEnd);
  };

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** One group commit of whole appends, at most maxBatch rows (a larger single append goes alone). */
  private commitNext(): BufferError | undefined {
    const file = this.file;
    if (file === undefined || this.queue.length === 0) return undefined;
    let take = 0;
    let rows = 0;
    for (const entry of this.queue) {
      if (take > 0 && rows + entry.records.length > this.options.maxBatch) break;
      take++;
      rows += entry.records.length;
    }
    const batch = this.queue.splice(0, take);
    this.lastCommitAt = this.options.clock.monotonic();
    this.queuedRows -= rows;
    const records = batch.length === 1 ? (batch[0]?.records ?? []) : batch.flatMap((entry) => entry.records);
    const firstSeq = this.nextSeq;
    try {
      file.write.immediate(records, firstSeq);
    } catch (err) {
      file.names.rollback();
      const failure = writeFailed(err, rows);
      this.log.error({ err, rows }, 'group commit failed');
      for (const entry of batch) entry.reject(failure);
      return failure;
    }
    file.names.commit();
    this.nextSeq = firstSeq + rows;
    this.count += rows;
    let seq = firstSeq;
    for (const entry of batch) {
      const seqs = new Array<number>(entry.records.length);
      for (let i = 0; i < seqs.length; i++) seqs[i] = seq++;
      entry.resolve(seqs);
    }
    this.emitCommitted(records, firstSeq);
    this.evict();
    return undefined;
  }

  private emitCommitted(records: readonly NewRecord[], firstSeq: number): void {
    if (this.listeners.size === 0) return;
    const stored = records.map((r, i) => toStored(r, firstSeq + i));
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch (err) {
        this.log.error({ err }, 'committed listener threw');
      }
    }
  }

  /** Never fails a commit: an eviction error is logged and the count re-read. */
  private evict(): void {
    const file = this.file;
    if (file === undefined) return;
    try {
      this.count -= file.evictor.run(this.count);
    } catch (err) {
      this.log.error({ err }, 'eviction failed');
      this.count = file.statements.count.get() as number;
    }
  }
}
