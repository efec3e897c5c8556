import Sqlite, { type Database, type Statement } from 'better-sqlite3';
import type { AlarmLevel, AlarmState } from '../../protocols/records.ts';

export type PageStatus = 'waiting' | 'paging' | 'paged' | 'failed' | 'acknowledged' | 'skipped';

export interface Delivery {
  readonly ok: boolean;
  readonly attempts: number;
  /** When to try again, gateway wall clock ms; absent once ok or given up. */
  readonly nextAt?: number;
  /** Last failure's code, or the modem's message reference once ok. */
  readonly code?: string;
  readonly gaveUp?: boolean;
}

/** One row of the `paging` table (buffer migration 5). */
export interface PageRow {
  readonly seq: number;
  readonly device: string;
  readonly channel: string;
  readonly rule: string;
  readonly level: AlarmLevel;
  readonly state: AlarmState;
  readonly value: number | null;
  readonly unit: string;
  readonly threshold: number | null;
  readonly ts: number;
  readonly due: number;
  readonly status: PageStatus;
  readonly deliveries: Record<string, Delivery>;
  readonly pagedAt: number | null;
  readonly noted: boolean;
}

type NewPage = Omit<PageRow, 'status' | 'deliveries' | 'pagedAt' | 'noted'>;

const COLUMNS = 'seq, device, channel, rule, level, state, value, unit, threshold, ts, due, status, deliveries, paged_at, noted';

/**
 * The pager's table in the buffer file, through a connection of its own (WAL lets it write beside
 * the buffer's; the buffer's migration 5 made the table). A few rows a day, written when a page
 * is noted and after every delivery attempt.
 */
export class PagingStore {
  private readonly db: Database;
  private readonly s: {
    insert: Statement<unknown[]>;
    open: Statement<[]>;
    get: Statement<[number]>;
    setStatus: Statement<[string, number]>;
    setDeliveries: Statement<[string, number]>;
    setPaged: Statement<[string, number | null, number]>;
    setNoted: Statement<[number]>;
    lastPaged: Statement<[]>;
    pagedRaise: Statement<[string, string, string, number]>;
  };

  constructor(path: string, busyTimeoutMs = 5000) {
    this.db = new Sqlite(path, { timeout: busyTimeoutMs });
    this.db.pragma('journal_mode = WAL');
    this.s = {
      insert: this.db.prepare(
        `INSERT OR IGNORE INTO paging (seq, device, channel, rule, level, state, value, unit, threshold, ts, due, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting')`,
      ),
      open: this.db.prepare(`SELECT ${COLUMNS} FROM paging WHERE status IN ('waiting', 'paging') OR (status = 'paged' AND noted = 0) ORDER BY due`),
      get: this.db.prepare(`SELECT ${COLUMNS} FROM paging WHERE seq = ?`),
      setStatus: this.db.prepare('UPDATE paging SET status = ? WHERE seq = ?'),
      setDeliveries: this.db.prepare('UPDATE paging SET deliveries = ? WHERE seq = ?'),
      setPaged: this.db.prepare('UPDATE paging SET status = ?, paged_at = ? WHERE seq = ?'),
      setNoted: this.db.prepare('UPDATE paging SET noted = 1 WHERE seq = ?'),
      lastPaged: this.db.prepare(`SELECT ${COLUMNS} FROM paging WHERE paged_at IS NOT NULL ORDER BY paged_at DESC LIMIT 1`),
      pagedRaise: this.db.prepare(
        `SELECT 1 FROM paging WHERE device = ? AND channel = ? AND rule = ? AND state = 'raised'
            AND status IN ('paging', 'paged') AND seq < ? LIMIT 1`,
      ),
    };
  }

  add(p: NewPage): void {
    this.s.insert.run(p.seq, p.device, p.channel, p.rule, p.level, p.state, p.value, p.unit, p.threshold, p.ts, p.due);
  }

  /** Rows with something left to do, soonest due first. */
  open(): PageRow[] {
    return (this.s.open.all() as RawRow[]).map(decode);
  }

  get(seq: number): PageRow | undefined {
    const row = this.s.get.get(seq) as RawRow | undefined;
    return row === undefined ? undefined : decode(row);
  }

  /** Whether an earlier raise of the same rule was paged: an all-clear is sent only then. */
  raisePaged(device: string, channel: string, rule: string, beforeSeq: number): boolean {
    return this.s.pagedRaise.get(device, channel, rule, beforeSeq) !== undefined;
  }

  setStatus(seq: number, status: PageStatus): void {
    this.s.setStatus.run(status, seq);
  }

  setDeliveries(seq: number, deliveries: Record<string, Delivery>): void {
    this.s.setDeliveries.run(JSON.stringify(deliveries), seq);
  }

  finish(seq: number, status: 'paged' | 'failed', at: number | null): void {
    this.s.setPaged.run(status, at, seq);
  }

  setNoted(seq: number): void {
    this.s.setNoted.run(seq);
  }

  lastPaged(): PageRow | undefined {
    const row = this.s.lastPaged.get() as RawRow | undefined;
    return row === undefined ? undefined : decode(row);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface RawRow {
  seq: number;
  device: string;
  channel: string;
  rule: string;
  level: string;
  state: string;
  value: number | null;
  unit: string;
  threshold: number | null;
  ts: number;
  due: number;
  status: string;
  deliveries: string;
  paged_at: number | null;
  noted: number;
}

function decode(r: RawRow): PageRow {
  let deliveries: Record<string, Delivery> = {};
  try {
    deliveries = JSON.parse(r.deliveries) as Record<string, Delivery>;
  } catch {
    // A damaged row: start its deliveries again rather than never paging.
  }
  return {
    seq: r.seq,
    device: r.device,
    channel: r.channel,
    rule: r.rule,
    level: r.level as AlarmLevel,
    state: r.state as AlarmState,
    value: r.value,
    unit: r.unit,
    threshold: r.threshold,
    ts: r.ts,
    due: r.due,
    status: r.status as PageStatus,
    deliveries,
    pagedAt: r.paged_at,
    noted: r.noted === 1,
  };
}
