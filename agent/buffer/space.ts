import fs from 'node:fs';
import type { Clock } from '../../protocols/clock.ts';
import { LOW_WATER_MIN_BYTES, LOW_WATER_SHARE } from './eviction.ts';

/** Monotonic ms between looks at the filesystem's free space: statfs is cheap, but not per commit. */
export const SPACE_CHECK_INTERVAL_MS = 2000;

export type StatFs = (dir: string) => { readonly bavail: number; readonly bsize: number };

export interface SpaceWatchOptions {
  /** Directory of the database (and its WAL). */
  readonly dir: string;
  /** Free space kept on the filesystem, bytes; 0 turns the watch off. */
  readonly minFreeBytes: number;
  readonly clock: Clock;
  readonly statfs?: StatFs;
}

/**
 * The free-space reserve (issue 19 item 6). SQLite reuses the pages eviction frees, so a database
 * that stops growing needs no more disk; the file never shrinks on its own. So when the filesystem
 * has less than minFreeBytes free (another process, logs, the WAL), the buffer stops growing where
 * it is: limit() returns a bound just below the pages in use, the evictor deletes down to it by
 * priority (ordinary, then DGA, alarms last) and new records, alarms first among them, fit in the
 * freed pages instead of failing with SQLITE_FULL. A commit that fails for want of space anyway
 * (`force`) lowers the bound again. Once the filesystem has minFreeBytes free again, maxBytes alone
 * applies.
 */
export class SpaceWatch {
  private lastCheck = Number.NEGATIVE_INFINITY;
  private bound = Number.POSITIVE_INFINITY;
  private free: number | null = null;
  private readonly statfs: StatFs;

  constructor(private readonly options: SpaceWatchOptions) {
    this.statfs = options.statfs ?? ((dir) => fs.statfsSync(dir));
  }

  /** Free bytes at the last look; null before the first one or when statfs failed. */
  get freeBytes(): number | null {
    return this.free;
  }

  /** True while the reserve bounds the buffer below maxBytes. */
  get active(): boolean {
    return Number.isFinite(this.bound);
  }

  /** The bound on used bytes the reserve imposes (Infinity when none); looks at the disk at most every SPACE_CHECK_INTERVAL_MS unless `force`. */
  limit(usedBytes: number, force: boolean): number {
    const now = this.options.clock.monotonic();
    if (!force && now - this.lastCheck < SPACE_CHECK_INTERVAL_MS) return this.bound;
    this.lastCheck = now;
    try {
      const { bavail, bsize } = this.statfs(this.options.dir);
      this.free = bavail * bsize;
    } catch {
      // Without a reading the bound stays as it was: a commit failure still forces one.
      this.free = null;
      if (!force) return this.bound;
    }
    const short = this.free === null || this.free < this.options.minFreeBytes;
    if (!force && (!short || this.options.minFreeBytes === 0)) {
      this.bound = Number.POSITIVE_INFINITY;
      return this.bound;
    }
    if (!force && this.active) return this.bound;
    const slack = Math.max(Math.floor(usedBytes * LOW_WATER_SHARE), LOW_WATER_MIN_BYTES);
    this.bound = Math.min(this.bound, Math.max(0, usedBytes - slack));
    return this.bound;
  }
}
