/**
 * The detectors: what in the relay's database becomes an alert transition. Each reads committed
 * data only (records, gateways, integrity alarms), through a cursor kept in the database, so a
 * restarted relay, or another relay on the same PostgreSQL, carries on where the last one
 * stopped; opening an alert is idempotent by id, so reading a record twice is harmless.
 */
import type { AlarmDetail } from '../../protocols/records.ts';
import type { AlarmRecordRow, AlertsStore } from '../store/alerts-types.ts';
import type { GatewayRow } from '../store/types.ts';
import type { AlertsConfig } from './config.ts';
import { subjectPattern } from './rules.ts';

/**
 * How far back each pass re-reads alarm records, ms: a batch stamped `received_at` a moment
 * before another may commit after it (two relays, or a slow transaction), so the cursor alone
 * could step over it.
 */
export const ALARM_LOOKBACK_MS = 10_000;
const PAGE = 1000;

export type Transition =
  | { readonly type: 'alarm'; readonly record: AlarmRecordRow; readonly detail: AlarmDetail }
  | { readonly type: 'integrity'; readonly id: number; readonly gateway: string; readonly seq: number; readonly at: number }
  | { readonly type: 'silent'; readonly gateway: GatewayRow; readonly silentSince: number }
  | { readonly type: 'back'; readonly gateway: GatewayRow };

/** Alarm records since the cursor (less the lookback), each once per process, in commit order. */
export class AlarmRecordCursor {
  /** `gateway\0seq` → received_at of records handled within the lookback. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly store: AlertsStore) {}

  private lastRead: { from: number; to: number } | undefined;

  /** Moves the stored cursor past what the last read() yielded: call once all of it is committed. */
  async commit(): Promise<void> {
    const r = this.lastRead;
    this.lastRead = undefined;
    if (r !== undefined && r.to > r.from) await this.store.setCursor('alarm-records', r.to);
  }

  /** After a failed pass: records handled but perhaps not committed are read again. */
  forget(): void {
    this.seen.clear();
    this.lastRead = undefined;
  }

  async *read(): AsyncGenerator<Transition & { type: 'alarm' }> {
    const cursor = await this.store.cursor('alarm-records');
    let after = { receivedAt: Math.max(0, cursor - ALARM_LOOKBACK_MS), gateway: '', seq: -1 };
    let highest = cursor;
    for (;;) {
      const rows = await this.store.alarmRecordsAfter(after, PAGE);
      for (const r of rows) {
        const receivedAt = Number(r.receivedAt);
        const id = `${r.gateway}\u0000${r.seq}`;
        if (this.seen.has(id)) continue;
        this.seen.set(id, receivedAt);
        highest = Math.max(highest, receivedAt);
        let detail: AlarmDetail;
        try {
          detail = JSON.parse(r.alarm) as AlarmDetail;
        } catch {
          continue;
        }
        yield { type: 'alarm', record: { ...r, seq: Number(r.seq), receivedAt, ts: Number(r.ts) }, detail };
      }
      const last = rows.at(-1);
      if (rows.length < PAGE || last === undefined) break;
      after = { receivedAt: Number(last.receivedAt), gateway: last.gateway, seq: Number(last.seq) };
    }
    this.lastRead = { from: cursor, to: highest };
    for (const [id, at] of this.seen) if (at < highest - 2 * ALARM_LOOKBACK_MS) this.seen.delete(id);
  }
}

/**
 * Integrity alarms (same key, other content) after the cursor; `commit` moves the cursor past them
 * once their alerts are committed (opening is idempotent, so a crash before it only re-reads).
 */
export async function readIntegrity(store: AlertsStore): Promise<{ transitions: Array<Transition & { type: 'integrity' }>; commit: () => Promise<void> }> {
  const after = await store.cursor('integrity-alarms');
  const rows = await store.integrityAlarmsAfter(after, PAGE);
  const last = rows.at(-1);
  return {
    transitions: rows.map((r) => ({ type: 'integrity', id: Number(r.id), gateway: r.gateway, seq: Number(r.seq), at: Number(r.at) })),
    commit: async () => {
      if (last !== undefined) await store.setCursor('integrity-alarms', Number(last.id));
    },
  };
}

/**
 * Gateways silent for more than their period (`silentAfterMs(id)`, 0: never silent), and those
 * that spoke since.
 */
export function silentTransitions(
  gateways: readonly GatewayRow[],
  openSilent: ReadonlyMap<string, number>,
  now: number,
  silentAfterMs: (gateway: string) => number,
): Transition[] {
  const out: Transition[] = [];
  for (const g of gateways) {
    if (g.lastSeenAt === null) continue;
    const since = openSilent.get(g.id);
    const period = silentAfterMs(g.id);
    if (since === undefined && period > 0 && now - g.lastSeenAt > period) out.push({ type: 'silent', gateway: g, silentSince: g.lastSeenAt });
    else if (since !== undefined && g.lastSeenAt > since) out.push({ type: 'back', gateway: g });
  }
  return out;
}

/**
 * Each gateway's silence period, ms: the first `silentAfter` entry with a pattern matching its id,
 * else `silentAfterMinutes` (0: never silent).
 */
export function silentPeriods(silentAfterMinutes: number, silentAfter: AlertsConfig['silentAfter']): (gateway: string) => number {
  // Patterns compiled once: the engine asks for every gateway on every pass.
  const own = silentAfter.map((s) => ({ patterns: s.gateways.map(subjectPattern), ms: s.minutes * 60_000 }));
  const fallback = silentAfterMinutes * 60_000;
  return (gateway) => own.find((s) => s.patterns.some((re) => re.test(gateway)))?.ms ?? fallback;
}
