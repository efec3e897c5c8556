/**
 * Device faults (issue 13 §1): a device channel whose readings stay `comm_error`/`sensor_fault`
 * for more than `deviceFaultAfterMinutes`, and back. Reading every reading in each pass would
 * cost as much as ingest itself, so ingest tells this tracker each committed batch instead: it
 * keeps the last quality per (gateway, device, channel) in memory and writes to the database only
 * when a channel turns bad or good again, as an `alert_cursors` row `fault:<json key>` whose value
 * is when it turned bad (0: good). Per reading that is one comparison while no channel is bad,
 * and a map lookup while one is. The engine's pass reads the bad rows (a handful) and opens or
 * closes alerts (`faultTransitions`).
 *
 * Several relays on one PostgreSQL: each tracker knows the states it wrote or read at start;
 * `refresh` (each pass) takes the others' from the database.
 */
import type { Logger } from 'pino';
import type { Alert, AlertsStore } from '../store/alerts-types.ts';
import type { IngestInput } from '../store/types.ts';

export const FAULT_CURSOR_PREFIX = 'fault:';

const BAD: ReadonlySet<string> = new Set(['comm_error', 'sensor_fault']);

export interface FaultKey {
  readonly gateway: string;
  readonly device: string;
  readonly channel: string;
}

export const faultCursor = (k: FaultKey): string => `${FAULT_CURSOR_PREFIX}${JSON.stringify([k.gateway, k.device, k.channel])}`;

export function faultKeyOf(cursor: string): FaultKey | undefined {
  try {
    const [gateway, device, channel] = JSON.parse(cursor.slice(FAULT_CURSOR_PREFIX.length)) as unknown[];
    return typeof gateway === 'string' && typeof device === 'string' && typeof channel === 'string' ? { gateway, device, channel } : undefined;
  } catch {
    return undefined;
  }
}

export class DeviceFaultTracker {
  /** cursor name → when the channel turned bad (ms), for the channels bad now. */
  private readonly bad = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<AlertsStore, 'setCursor' | 'cursorsWithPrefix'>,
    private readonly logger: Logger,
  ) {}

  /** The bad channels the database knows (other relays', a previous run's). */
  refresh(): Promise<void> {
    // In the same queue as the batches: a state being written is never lost to a reload.
    const next = this.chain.then(async () => {
      const rows = await this.store.cursorsWithPrefix(FAULT_CURSOR_PREFIX);
      this.bad.clear();
      for (const r of rows) this.bad.set(r.name, r.value);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * A committed batch: the changes of state it brings are written, in batch order, one batch at a
   * time. Never throws (ingest has committed; a failure is logged, the next change rewrites).
   */
  observe(gateway: string, records: IngestInput['records']): Promise<void> {
    const next = this.chain
      .then(() => this.apply(gateway, records))
      .catch((err: unknown) => {
        this.logger.error({ err, gateway }, 'device fault state not written');
      });
    this.chain = next;
    return next;
  }

  /** Whether a channel whose cursor name starts with `prefix` is bad (a handful of entries). */
  private hasBad(prefix: string): boolean {
    for (const name of this.bad.keys()) if (name.startsWith(prefix)) return true;
    return false;
  }

  private async apply(gateway: string, records: IngestInput['records']): Promise<void> {
    // Fast path: no channel of this gateway bad and none in this batch.
    const prefix = faultCursor({ gateway, device: '', channel: '' }).slice(0, -6);
    if (!this.hasBad(prefix) && !records.some((r) => r.kind === 'reading' && BAD.has(r.quality))) return;
    /** cursor → since (ms) when the batch leaves it bad, 0 when good; only channels that matter. */
    const last = new Map<string, number>();
    for (const r of records) {
      if (r.kind !== 'reading') continue;
      const isBad = BAD.has(r.quality);
      const name = faultCursor({ gateway, device: r.device, channel: r.channel });
      if (!isBad) {
        if (this.bad.has(name) || last.has(name)) last.set(name, 0);
        continue;
      }
      const prev = last.get(name);
      if (prev === undefined || prev === 0) last.set(name, this.bad.get(name) ?? r.tsCorrected ?? r.ts);
    }
    for (const [name, since] of last) {
      const was = this.bad.get(name);
      if (since === 0 && was !== undefined) {
        await this.store.setCursor(name, 0);
        this.bad.delete(name);
      } else if (since > 0 && was === undefined) {
        await this.store.setCursor(name, since);
        this.bad.set(name, since);
      }
    }
  }
}

export type FaultTransition =
  | { readonly type: 'fault'; readonly key: FaultKey; readonly since: number }
  | { readonly type: 'fault_back'; readonly alert: Alert };

export const faultFamily = (k: FaultKey): string => `device:${k.gateway}:${k.device}:${k.channel}`;

/**
 * Channels bad for longer than `afterMs` without an open alert of their family, and open
 * device-fault alerts whose channel is good again (or turned bad anew since).
 */
export function faultTransitions(bad: ReadonlyArray<{ name: string; value: number }>, open: readonly Alert[], now: number, afterMs: number): FaultTransition[] {
  const out: FaultTransition[] = [];
  const openByFamily = new Map(open.map((a) => [a.family, a]));
  const badFamilies = new Map<string, number>();
  for (const row of bad) {
    const key = faultKeyOf(row.name);
    if (key === undefined) continue;
    const family = faultFamily(key);
    badFamilies.set(family, row.value);
    if (!openByFamily.has(family) && now - row.value > afterMs) out.push({ type: 'fault', key, since: row.value });
  }
  for (const a of open) {
    const since = badFamilies.get(a.family);
    if (since === undefined || since !== Number(a.facts['since'] ?? 0)) out.push({ type: 'fault_back', alert: a });
  }
  return out;
}
