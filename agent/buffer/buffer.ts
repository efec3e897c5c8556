import path from 'node:path';
import type { Logger } from 'pino';
import type { NewRecord, RecordKind, StoredRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { seqsFrom, settleAppends } from './appends.ts';
import { backupBeforeUpgrade } from './backup.ts';
import type { AlarmStateEntry, AlarmStateRow, RecordRow } from './codec.ts';
import { checkRecords, decodeAlarmState, decodeRow, toStored } from './codec.ts';
import type { BufferError } from './errors.ts';
import { closedError, queueFull, writeFailed } from './errors.ts';
import { Evictor } from './eviction.ts';
import { stateOf, WriteHealth } from './health.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { NameTable } from './names.ts';
import { openDatabase } from './open.ts';
import type { BufferOptions, ResolvedBufferOptions } from './options.ts';
import { resolveBufferOptions } from './options.ts';
import type { Refused } from './quarantine.ts';
import { Quarantine } from './quarantine.ts';
import { SpaceWatch } from './space.ts';
import { prepareStatements } from './statements.ts';
import type { AppendDone, BufferStats, CommittedListener, OpenFile, PendingAppend } from './types.ts';
import type { DeviceSeqMark } from './write.ts';
import { writeDeviceSeqs, writeRecords } from './write.ts';

export type { AlarmStateEntry } from './codec.ts';
export type { BufferHealth, BufferWriteState } from './health.ts';
export type { BufferOptions } from './options.ts';
export type { Refused } from './quarantine.ts';
export type { AppendDone, BufferStats, CommittedListener } from './types.ts';
export type { DeviceSeqMark } from './write.ts';

/**
 * The durable store-and-forward buffer: every record lands here before anything else sees it.
 * Appends are group-committed (one transaction per event-loop turn, at most one per commitIntervalMs
 * when that is set, and at most maxBatch rows); an
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
  private readonly health: WriteHealth;
  private readonly space: SpaceWatch;

  constructor(options: BufferOptions) {
    this.options = resolveBufferOptions(options);
    this.log = this.options.logger.child({ component: 'buffer' });
    this.health = new WriteHealth(this.log, this.options.clock);
    this.space = new SpaceWatch({ dir: path.dirname(path.resolve(this.options.path)), minFreeBytes: this.options.minFreeBytes, clock: this.options.clock });
  }

  start(): void {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw closedError('start (create a new RecordBuffer)');
    const db = openDatabase(this.options);
    try {
      backupBeforeUpgrade(db, this.options.path, MIGRATIONS.length, this.options.clock.now(), this.log);
      migrate(db, this.log);
      const statements = prepareStatements(db);
      const names = new NameTable(statements);
      names.load();
      const evictor = new Evictor(db, statements, { ...this.options, logger: this.log });
      const write = db.transaction((records: readonly NewRecord[], firstSeq: number, marks: readonly DeviceSeqMark[]) => {
        writeRecords(statements, names, records, firstSeq);
        writeDeviceSeqs(statements, marks);
      });
      this.file = { db, statements, names, evictor, quarantine: new Quarantine(db, statements), write };
      const maxSeq = (statements.maxSeq.get() as number | null) ?? 0;
      this.nextSeq = Math.max(statements.getNextSeq.get() as number, maxSeq + 1);
      this.count = statements.count.get() as number;
      this.state = 'running';
      this.evict();
      this.log.info(
        { path: this.options.path, durability: this.options.durability, count: this.count, nextSeq: this.nextSeq, bytes: evictor.usedBytes() },
        'buffer started',
      );
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
      this.file.evictor.report(true);
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

  /**
   * Resolves with the records' seqs once committed. `mark`, the device seq of the MQTT message the
   * records came from, is committed in the same transaction (deviceSeq()).
   */
  append(records: readonly NewRecord[], mark?: DeviceSeqMark): Promise<number[]> {
    // A copy: the caller may reuse its array before the window closes (a non-array is refused by appendWith).
    const copy = Array.isArray(records) ? records.slice() : records;
    return new Promise((resolve, reject) =>
      this.appendWith(copy, mark, (err, first) => (err === undefined ? resolve(seqsFrom(first, copy.length)) : reject(err))),
    );
  }

  /**
   * append() with a callback, called once: at once when the records are refused, else after their
   * commit (or its failure). For MQTT ingest: no promise per message (issue 18). `records` is kept
   * as given until then (no copy): the caller must not change the array.
   */
  appendWith(records: readonly NewRecord[], mark: DeviceSeqMark | undefined, done: AppendDone): void {
    if (this.state !== 'running') return done(closedError('append'), 0);
    const invalid = checkRecords(records);
    if (invalid !== undefined) return done(invalid, 0);
    if (records.length === 0) return done(undefined, this.nextSeq);
    if (this.health.failing && this.queuedRows + records.length > this.options.maxBatch && !records.some((r) => r.priority === PRIORITY.alarm)) {
      // While commits fail, the queue holds at most one commit's worth: readings beyond it are lost
      // at once (counted) instead of piling up in memory; alarms are always queued (issue 19 item 9).
      this.health.dropped(records.length);
      return done(queueFull(records.length, this.queuedRows), 0);
    }
    this.queue.push({ records, mark, done });
    this.queuedRows += records.length;
    this.schedule();
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
    const statement = kind === undefined ? statements.readAfter : kind === 'alarm' ? statements.readAlarmsAfter : statements.readReadingsAfter;
    const rows = statement.all(afterSeq, afterSeq, afterSeq, limit) as RecordRow[];
    return rows.map((row) => decodeRow(row, names));
  }

  releaseUpTo(uptoSeq: number): number {
    const { db, statements } = this.running('releaseUpTo');
    const removed = db.transaction(() => statements.releaseUpTo.reduce((n, statement) => n + statement.run(uptoSeq).changes, 0))();
    this.count -= removed;
    this.file?.evictor.released();
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
    this.file?.evictor.released();
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

  /** Records handed to the sync: kept from eviction until released (eviction.ts, issue 19 item 7). */
  protect(records: readonly StoredRecord[]): void {
    this.running('protect').evictor.protect(records);
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
      health: this.health.snapshot(this.space),
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

  /** The last committed device seq of an MQTT ingest stream (append's `mark`), or undefined. */
  deviceSeq(stream: string): number | undefined {
    return (this.running('deviceSeq').statements.deviceSeq.get(stream) as number | undefined) ?? undefined;
  }

  on(event: 'committed', listener: CommittedListener): this {
    if (event === 'committed') this.listeners.add(listener);
    return this;
  }

  off(event: 'committed', listener: CommittedListener): this {
    if (event === 'committed') this.listeners.delete(listener);
    return this;
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
      // The spacing runs from the previous commit, not from this append: after a quiet spell an
      // append commits on the next turn of the event loop (no added latency for a lone poll or
      // a QoS 1 publish waiting for its PUBACK), while under load commits stay at most one per
      // commitIntervalMs (0 by default: batches form while the previous commit blocks the loop).
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
    const marks = batch.flatMap((entry) => (entry.mark === undefined ? [] : [entry.mark]));
    const failure = this.write(file, records, firstSeq, marks);
    if (failure !== undefined) {
      settleAppends(batch, failure, 0, this.log);
      return failure;
    }
    this.health.succeeded();
    this.nextSeq = firstSeq + rows;
    this.count += rows;
    this.emitCommitted(records, firstSeq);
    this.evict();
    settleAppends(batch, undefined, firstSeq, this.log);
    return undefined;
  }

  /**
   * One transaction; on SQLITE_FULL the reserve bound is lowered at once, records are evicted by
   * priority to make room in the file, and the commit is tried once more (so an alarm still lands
   * on a full card). A failure is counted and reported by WriteHealth, never logged per commit.
   */
  private write(file: OpenFile, records: readonly NewRecord[], firstSeq: number, marks: readonly DeviceSeqMark[]): BufferError | undefined {
    for (let attempt = 0; ; attempt++) {
      try {
        file.write.immediate(records, firstSeq, marks);
        file.names.commit();
        return undefined;
      } catch (err) {
        file.names.rollback();
        const failure = writeFailed(err, records.length);
        const code = failure.details?.['sqliteCode'] as string | undefined;
        if (attempt === 0 && stateOf(code) === 'disk_full' && this.evict(true) > 0) continue;
        this.health.failed(code, records.length, err instanceof Error ? err.message : String(err));
        return failure;
      }
    }
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

  /**
   * Never fails a commit: an eviction error is logged and the count re-read. `spaceShort`: a commit
   * just failed with SQLITE_FULL, so the free-space reserve is looked at now. Returns rows removed.
   */
  private evict(spaceShort = false): number {
    const file = this.file;
    if (file === undefined) return 0;
    try {
      const wasShort = this.space.active;
      const limit = this.space.limit(file.evictor.usedBytes(), spaceShort);
      const removed = file.evictor.run(this.count, limit);
      this.count -= removed;
      // Pages still only in the WAL need room in the database file at the next checkpoint: take it
      // now, while the reserve is still free, so later checkpoints only rewrite pages in place.
      if (!wasShort && this.space.active) file.db.pragma('wal_checkpoint(PASSIVE)');
      return removed;
    } catch (err) {
      // A full disk fails deletes too (they go through the WAL): reported with the commits, not per commit.
      this.health.evictionFailed(err);
      this.count = file.statements.count.get() as number;
      return 0;
    }
  }
}
