import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';

/** Monotonic ms between log lines while commits keep failing (issue 19 item 6: one line per interval, with counts). */
export const WRITE_FAILURE_LOG_INTERVAL_MS = 60_000;

/** writable: the last commit succeeded; disk_full: it failed for want of space (SQLITE_FULL); io_error: any other failure. */
export type BufferWriteState = 'writable' | 'disk_full' | 'io_error';

export interface BufferHealth {
  readonly state: BufferWriteState;
  /** Group commits that failed since start(). */
  readonly failedCommits: number;
  /** Records of failed commits, and records refused at append while commits fail, since start(): never stored. */
  readonly lostRecords: number;
  /** SQLite code of the last failed commit (e.g. SQLITE_FULL, SQLITE_IOERR_WRITE); null before any. */
  readonly lastErrorCode: string | null;
  /** Wall clock when the current failing state began, ms since the epoch; null while writable. */
  readonly since: number | null;
  /** Free bytes on the buffer's filesystem at the last look (space.ts); null before one. */
  readonly freeBytes: number | null;
  /** True while free space is below buffer.minFreeBytes and the buffer is held below maxBytes. */
  readonly reserveActive: boolean;
}

/** SQLITE_FULL and its extended codes: the disk (or a quota) has no room. */
export function stateOf(sqliteCode: string | undefined): Exclude<BufferWriteState, 'writable'> {
  return sqliteCode?.startsWith('SQLITE_FULL') ? 'disk_full' : 'io_error';
}

/**
 * Tracks whether commits succeed, and logs it without flooding the SD card: at most one line per
 * WRITE_FAILURE_LOG_INTERVAL_MS, with what failed since the last line (no stack: the code says
 * it). A disk that is nearly full makes commits fail and succeed by turns (eviction frees pages,
 * the next commit fits, the one after does not): each turn is counted, only the interval's line is
 * written. "writable again" is logged once the interval allows it and commits still succeed.
 */
export class WriteHealth {
  private state: BufferWriteState = 'writable';
  private failedCommits = 0;
  private lostRecords = 0;
  private lastErrorCode: string | null = null;
  private since: number | null = null;
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private unlogged = { commits: 0, records: 0 };
  /** A recovery not logged yet (the interval had not passed). */
  private recoveredAt: number | null = null;
  private lastEvictionLogAt = Number.NEGATIVE_INFINITY;
  private evictionFailures = 0;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  failed(sqliteCode: string | undefined, rows: number, message: string): void {
    const state = stateOf(sqliteCode);
    this.failedCommits++;
    this.lostRecords += rows;
    this.lastErrorCode = sqliteCode ?? null;
    this.unlogged.commits++;
    this.unlogged.records += rows;
    if (state !== this.state) {
      this.state = state;
      // A failure right after a recovery continues the same episode.
      if (this.recoveredAt === null || this.since === null) this.since = this.clock.now();
    }
    this.recoveredAt = null;
    if (!this.due()) return;
    const fields = { state, sqliteCode, error: message, failedCommits: this.unlogged.commits, lostRecords: this.unlogged.records };
    this.unlogged = { commits: 0, records: 0 };
    this.log.error(fields, state === 'disk_full' ? 'buffer cannot write: disk full, readings are being lost' : 'buffer cannot write: readings are being lost');
  }

  /** True while the last commit failed. */
  get failing(): boolean {
    return this.state !== 'writable';
  }

  /** Records refused at append while commits fail (the queue is bounded): lost, counted, logged with the next line. */
  dropped(rows: number): void {
    this.lostRecords += rows;
    this.unlogged.records += rows;
  }

  succeeded(): void {
    if (this.state !== 'writable') {
      this.state = 'writable';
      this.recoveredAt = this.clock.now();
    }
    if (this.recoveredAt === null || !this.due()) return;
    this.log.warn(
      {
        sinceMs: this.since === null ? null : this.recoveredAt - this.since,
        failedCommits: this.failedCommits,
        lostRecords: this.lostRecords,
        unloggedCommits: this.unlogged.commits,
        unloggedRecords: this.unlogged.records,
      },
      'buffer writable again',
    );
    this.since = null;
    this.recoveredAt = null;
    this.unlogged = { commits: 0, records: 0 };
  }

  /** An eviction failed (its rows stay): logged at most once per interval, with how many failed since. */
  evictionFailed(err: unknown): void {
    const code = (err as { code?: unknown } | null)?.code;
    const sqliteCode = typeof code === 'string' ? code : undefined;
    // A full disk fails the commits as well, which report it: one state, not two streams of lines.
    if (stateOf(sqliteCode) === 'disk_full') return;
    this.evictionFailures++;
    const now = this.clock.monotonic();
    if (now - this.lastEvictionLogAt < WRITE_FAILURE_LOG_INTERVAL_MS) return;
    this.lastEvictionLogAt = now;
    this.log.error({ sqliteCode, error: err instanceof Error ? err.message : String(err), failures: this.evictionFailures }, 'buffer eviction failed');
    this.evictionFailures = 0;
  }

  private due(): boolean {
    const now = this.clock.monotonic();
    if (now - this.lastLogAt < WRITE_FAILURE_LOG_INTERVAL_MS) return false;
    this.lastLogAt = now;
    return true;
  }

  snapshot(space: { readonly freeBytes: number | null; readonly active: boolean }): BufferHealth {
    return {
      state: this.state,
      failedCommits: this.failedCommits,
      lostRecords: this.lostRecords,
      lastErrorCode: this.lastErrorCode,
      since: this.state === 'writable' ? null : this.since,
      freeBytes: space.freeBytes,
      reserveActive: space.active,
    };
  }
}
