import type { Database, Transaction } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { PRIORITY } from '../../protocols/records.ts';
import type { Priority } from '../../protocols/records.ts';
import type { Statements } from './statements.ts';

export interface EvictionCounts {
  ordinary: number;
  dga: number;
  alarm: number;
}

/** Wall-clock ms between age checks: the age bound is days, so checking on every commit is waste. */
export const AGE_CHECK_INTERVAL_MS = 10_000;
/** Size eviction stops at maxBytes minus this share (hysteresis, so it does not run on every commit). */
const LOW_WATER_SHARE = 0.02;
const LOW_WATER_MIN_BYTES = 16 * 1024;
/** Rows per eviction transaction: bounds how long one delete holds the event loop and the WAL. */
const MIN_CHUNK = 64;
const MAX_CHUNK = 20_000;
const EVICTION_ORDER: readonly Priority[] = [PRIORITY.ordinary, PRIORITY.dga, PRIORITY.alarm];

export interface EvictorOptions {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The policy when the buffer is full or records are too old:
 *
 * - Size: "used bytes" are the database's pages in use, (page_count − freelist_count) × page_size,
 *   read from the header in O(1) after every commit; freed pages are reused by later inserts, so
 *   the file stops growing at about maxBytes (plus the WAL). Over the bound, records are deleted
 *   down to a low-water mark: the lowest seqs of priority 0 (ordinary) first, then priority 1
 *   (DGA flow records), alarms (2) last: no DGA record goes while an ordinary one is left. Each
 *   priority has its own table (migrations.ts), so deleting its oldest rows frees whole pages.
 * - Age: records whose ts is older than now − maxAgeMs go, whatever their priority, checked at most
 *   every AGE_CHECK_INTERVAL_MS of wall time. Records stamped clockUnsynced are exempt (their ts
 *   is not a time), they leave by release or by size.
 * - Every eviction is counted per priority in the `evictions` table, in the same transaction as the
 *   delete, so the counters survive restarts and never disagree with the data.
 */
export class Evictor {
  private readonly log: Logger;
  private readonly deletePriority: Transaction<(priority: Priority, limit: number) => number>;
  private readonly deleteAged: Transaction<(priority: Priority, cutoff: number, limit: number) => number>;
  private lastAgeCheck = Number.NaN;

  constructor(
    db: Database,
    private readonly statements: Statements,
    private readonly options: EvictorOptions,
  ) {
    this.log = options.logger;
    this.deletePriority = db.transaction((priority: Priority, limit: number) => {
      const removed = statements.evictOldest[priority].run(0, limit).changes;
      if (removed > 0) statements.addEvicted.run(removed, priority);
      return removed;
    });
    this.deleteAged = db.transaction((priority: Priority, cutoff: number, limit: number) => {
      const removed = statements.evictAged[priority].run(cutoff, limit).changes;
      if (removed > 0) statements.addEvicted.run(removed, priority);
      return removed;
    });
  }

  /** After each commit (and at start). `count` is the number of stored records. Returns rows removed. */
  run(count: number): number {
    let removed = 0;
    const now = this.options.clock.now();
    if (!(Math.abs(now - this.lastAgeCheck) < AGE_CHECK_INTERVAL_MS)) {
      this.lastAgeCheck = now;
      removed += this.evictByAge(now);
    }
    return removed + this.evictBySize(count - removed);
  }

  totals(): EvictionCounts {
    const totals: EvictionCounts = { ordinary: 0, dga: 0, alarm: 0 };
    for (const [priority, n] of this.statements.evicted.all() as [number, number][]) {
      if (priority === PRIORITY.ordinary) totals.ordinary = n;
      else if (priority === PRIORITY.dga) totals.dga = n;
      else if (priority === PRIORITY.alarm) totals.alarm = n;
    }
    return totals;
  }

  usedBytes(): number {
    return this.statements.usedBytes.get() as number;
  }

  private evictByAge(now: number): number {
    const cutoff = now - this.options.maxAgeMs;
    const removed = [0, 0, 0];
    for (const priority of EVICTION_ORDER) {
      let n: number;
      do {
        n = this.deleteAged(priority, cutoff, MAX_CHUNK);
        removed[priority] = (removed[priority] ?? 0) + n;
      } while (n === MAX_CHUNK);
    }
    const total = removed.reduce((a, b) => a + b, 0);
    if (total > 0) this.log.warn({ reason: 'age', cutoff, ordinary: removed[0], dga: removed[1], alarm: removed[2] }, 'evicted records older than maxAgeMs');
    return total;
  }

  private evictBySize(count: number): number {
    const { maxBytes } = this.options;
    let used = this.usedBytes();
    if (used <= maxBytes) return 0;
    const target = maxBytes - Math.max(Math.floor(maxBytes * LOW_WATER_SHARE), LOW_WATER_MIN_BYTES);
    const removed = [0, 0, 0];
    let remaining = count;
    for (const priority of EVICTION_ORDER) {
      while (used > target && remaining > 0) {
        // used / remaining over-estimates a row's share (fixed tables count too): errs on deleting less.
        const wanted = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.ceil((used - target) / (used / remaining))));
        const n = this.deletePriority(priority, wanted);
        removed[priority] = (removed[priority] ?? 0) + n;
        remaining -= n;
        used = this.usedBytes();
        if (n < wanted) break;
      }
      if (used <= target) break;
    }
    const total = removed.reduce((a, b) => a + b, 0);
    this.log.warn({ reason: 'size', usedBytes: used, maxBytes, ordinary: removed[0], dga: removed[1], alarm: removed[2] }, 'buffer full: evicted records');
    return total;
  }
}
