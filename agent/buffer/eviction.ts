import type { Database, Transaction } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { Priority } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import type { Statements } from './statements.ts';

export interface EvictionCounts {
  ordinary: number;
  dga: number;
  alarm: number;
}

/** Wall-clock ms between age checks: the age bound is days, so checking on every commit is waste. */
export const AGE_CHECK_INTERVAL_MS = 10_000;
/** Size eviction stops at maxBytes minus this share (hysteresis, so it does not run on every commit). */
export const LOW_WATER_SHARE = 0.02;
export const LOW_WATER_MIN_BYTES = 16 * 1024;
/** Monotonic ms between eviction log lines: a full buffer evicts on every commit (issue 19 item 8). */
export const EVICTION_LOG_INTERVAL_MS = 60_000;
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
 * - Records handed to the sync (protect()) may be stored at the relay even if its answer is lost:
 *   they are not evicted until released, otherwise they would count as evicted *and* arrive, and
 *   stored + evicted + held would exceed the committed count (issue 19 item 7). Batches are the
 *   lowest seqs of each priority, so one floor per priority is enough; the buffer may then exceed
 *   its bound by at most one batch while the relay does not answer. The floors are kept in `meta`
 *   (meta.evict_floor_<priority>): a batch in flight when the agent was killed stays protected
 *   until it is resent and acknowledged.
 * - Evictions are logged once per EVICTION_LOG_INTERVAL_MS with the counts since the last line.
 */
export class Evictor {
  private readonly log: Logger;
  private readonly deletePriority: Transaction<(priority: Priority, limit: number) => number>;
  private readonly deleteAged: Transaction<(priority: Priority, cutoff: number, limit: number) => number>;
  private readonly saveFloors: Transaction<(floors: readonly number[]) => void>;
  private lastAgeCheck = Number.NaN;
  /** Per priority: seqs at or below are protected (handed to the sync, not yet released); 0 = none. */
  private readonly floor = [0, 0, 0];
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private unlogged = { age: [0, 0, 0], size: [0, 0, 0] };

  constructor(
    db: Database,
    private readonly statements: Statements,
    private readonly options: EvictorOptions,
  ) {
    this.log = options.logger;
    this.deletePriority = db.transaction((priority: Priority, limit: number) => {
      const removed = statements.evictOldest[priority].run(this.floor[priority] ?? 0, limit).changes;
      if (removed > 0) statements.addEvicted.run(removed, priority);
      return removed;
    });
    this.saveFloors = db.transaction((floors: readonly number[]) => {
      floors.forEach((floor, priority) => {
        statements.setMeta.run(floorKey(priority), floor);
      });
    });
    for (const priority of EVICTION_ORDER) this.floor[priority] = (statements.getMeta.get(floorKey(priority)) as number | undefined) ?? 0;
    this.deleteAged = db.transaction((priority: Priority, cutoff: number, limit: number) => {
      const removed = statements.evictAged[priority].run(this.floor[priority] ?? 0, cutoff, limit).changes;
      if (removed > 0) statements.addEvicted.run(removed, priority);
      return removed;
    });
  }

  /**
   * After each commit (and at start). `count` is the number of stored records; `limitBytes` a lower
   * bound than maxBytes while the filesystem is short of space (space.ts). Returns rows removed.
   */
  run(count: number, limitBytes = Number.POSITIVE_INFINITY): number {
    let removed = 0;
    const now = this.options.clock.now();
    if (!(Math.abs(now - this.lastAgeCheck) < AGE_CHECK_INTERVAL_MS)) {
      this.lastAgeCheck = now;
      removed += this.evictByAge(now);
    }
    removed += this.evictBySize(count - removed, Math.min(this.options.maxBytes, limitBytes));
    this.report(false);
    return removed;
  }

  /** Records about to be sent: not evicted until released (see the class comment). */
  protect(records: readonly { readonly seq: number; readonly priority: number }[]): void {
    let raised = false;
    for (const { seq, priority } of records) {
      if (seq > (this.floor[priority] ?? 0)) {
        this.floor[priority] = seq;
        raised = true;
      }
    }
    if (raised) this.persistFloors();
  }

  /** After a release: a floor below which nothing is held any more protects nothing. */
  released(): void {
    let lowered = false;
    for (const priority of EVICTION_ORDER) {
      const floor = this.floor[priority] ?? 0;
      if (floor === 0) continue;
      const lowest = this.statements.minSeq[priority].get() as number | undefined;
      if (lowest === undefined || lowest > floor) {
        this.floor[priority] = 0;
        lowered = true;
      }
    }
    if (lowered) this.persistFloors();
  }

  /** Best effort: on a full disk the floors still hold in memory, only a restart would forget them. */
  private persistFloors(): void {
    try {
      this.saveFloors(this.floor);
    } catch {
      // The commits on the same disk fail too, and report it (health.ts).
    }
  }

  /** Logs the evictions not yet logged: at most once per interval, or now when `force` (stop). */
  report(force: boolean): void {
    const { age, size } = this.unlogged;
    const total = [...age, ...size].reduce((a, b) => a + b, 0);
    if (total === 0) return;
    const now = this.options.clock.monotonic();
    if (!force && now - this.lastLogAt < EVICTION_LOG_INTERVAL_MS) return;
    const since = Number.isFinite(this.lastLogAt) ? Math.round(now - this.lastLogAt) : null;
    this.lastLogAt = now;
    this.unlogged = { age: [0, 0, 0], size: [0, 0, 0] };
    const by = (n: number[]) => ({ ordinary: n[0], dga: n[1], alarm: n[2] });
    this.log.warn(
      { sinceMs: since, bySize: by(size), byAge: by(age), usedBytes: this.usedBytes(), maxBytes: this.options.maxBytes },
      'buffer evicted records unsent',
    );
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
    this.tally(this.unlogged.age, removed);
    return removed.reduce((a, b) => a + b, 0);
  }

  private evictBySize(count: number, maxBytes: number): number {
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
      // Rows of this priority are left, protected (in flight): a higher priority must not go for
      // them; the buffer stays over its bound by that batch until the relay answers.
      if ((this.floor[priority] ?? 0) > 0 && this.statements.minSeq[priority].get() !== undefined) break;
    }
    this.tally(this.unlogged.size, removed);
    return removed.reduce((a, b) => a + b, 0);
  }

  private tally(into: number[], removed: readonly number[]): void {
    for (let p = 0; p < into.length; p++) into[p] = (into[p] ?? 0) + (removed[p] ?? 0);
  }
}

function floorKey(priority: number): string {
  return `evict_floor_${priority}`;
}
