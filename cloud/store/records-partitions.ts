/**
 * The monthly partitions of `records` on PostgreSQL (records v2, migrations-records-v2.ts): made
 * ahead of the relay's clock at start and on a daily tick, so rows arrive in a partition of their
 * month rather than the DEFAULT one (which takes whatever comes outside: a clock far off, a
 * month whose partition could not be made). An operator drops old months with
 * `atalaya_records_drop_before` (docs/storage.md#pruning-old-months); `dropBefore` is the same.
 * Every relay sharing a database runs its own: the SQL function serializes them and makes a month
 * once. SQLite has no partitions: nothing is built for it (database.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { isStoreError, partitionHeld, STORE_UNAVAILABLE } from './errors.ts';
import { PARTITION_MONTHS_AHEAD } from './migrations-records-v2.ts';
import type { SqlExecutor } from './sql-executor.ts';

/** How often the partitions ahead are checked, ms. A month is made at least PARTITION_MONTHS_AHEAD months before it starts. */
export const PARTITION_TICK_MS = 24 * 3_600_000;

/**
 * How long making a partition may wait for its lock (it needs the table to itself for a moment),
 * so a long read delays the next month's partition to the next tick rather than every ingest.
 */
const LOCK_TIMEOUT = '5s';

/** SQLSTATE object_in_use: what atalaya_records_drop_before raises for a month still needed. */
const OBJECT_IN_USE = '55006';

/** The first instant after the months kept ahead of `now`: the upper bound of the partitions made. */
export function aheadUntil(now: number, monthsAhead = PARTITION_MONTHS_AHEAD): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + monthsAhead + 1, 1);
}

export class RecordsPartitions {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: SqlExecutor,
    private readonly clock: Clock,
    logger: Logger,
    private readonly tickMs = PARTITION_TICK_MS,
  ) {
    this.log = logger.child({ component: 'records-partitions' });
  }

  /** Makes the partitions ahead (a failure is logged: rows then go to the DEFAULT partition) and starts the tick. Idempotent. */
  async start(): Promise<void> {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.ensure(), this.tickMs);
    this.timer.unref();
    await this.ensure();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Makes the missing partitions from the current month to PARTITION_MONTHS_AHEAD months ahead; resolves with how many (0 on failure). */
  async ensure(): Promise<number> {
    const now = this.clock.now();
    try {
      const made = await this.db.transaction('records partitions', async (q) => {
        await q(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`, []);
        return (await q<{ made: number }>('SELECT atalaya_records_partitions($1, $2) AS made', [now, aheadUntil(now)])).rows[0]?.made ?? 0;
      });
      if (made > 0) this.log.info({ made, until: new Date(aheadUntil(now)).toISOString() }, 'records partitions made ahead');
      return made;
    } catch (err) {
      this.log.warn({ err }, 'records partitions not made ahead; rows go to the DEFAULT partition until the next tick');
      return 0;
    }
  }

  /**
   * Drops the monthly partitions that end at or before `before` (ms), in one transaction, and
   * returns their names, oldest first. A month holding a record not in a batch confirmed on chain
   * drops nothing (STORE_PARTITION_HELD): anchoring and proofs still need it.
   */
  async dropBefore(before: number): Promise<string[]> {
    try {
      return await this.db.transaction('drop records partitions', async (q) => {
        const rows = (await q<{ name: string }>('SELECT name FROM atalaya_records_drop_before($1) AS name', [before])).rows;
        return rows.map((r) => r.name);
      });
    } catch (err) {
      throw isStoreError(err, STORE_UNAVAILABLE) && err.details?.['backendCode'] === OBJECT_IN_USE ? partitionHeld(err) : err;
    }
  }
}
