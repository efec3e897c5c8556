/**
 * Extracted volumes and water-right exceedances of an obra (issue 14 §3), read from the relay's
 * records: the totalizer channel's good readings, converted to m³ (units.ts) and computed by the
 * pure protocols/dga/volumes.ts on DGA's UTC-4 calendar. Nothing is stored: a volume is always
 * what the anchored readings say.
 *
 * Exceedances are the event source for the relay's alerting: `exceedances()` returns each stretch
 * of flow readings above the granted flow and each calendar year whose extraction passed the
 * granted annual volume (both plus tolerancePct), with when it started, when it ended (null: still
 * open), the worst value and the limit. Polling it is idempotent; the alert engine keys events by
 * (obra, kind, from).
 */
import {
  computeVolumes,
  nextPeriod,
  periodStart,
  type TotalizerSample,
  totalizerStep,
  type VolumeGranularity,
  type VolumePeriod,
} from '../../protocols/dga/index.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import type { RelayRecord, RelayStore } from '../store/types.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import { unknownObra } from './errors.ts';
import { type DgaQuantity, toDgaUnit } from './units.ts';

const PAGE = 10_000;
/** How far outside the asked range readings are looked for, so its first and last periods are whole, ms. */
const MARGIN_MS = 86_400_000;

export interface ObraVolumes {
  readonly obra: string;
  readonly granularity: VolumeGranularity;
  readonly from: string;
  readonly to: string;
  readonly timeZone: 'UTC-04:00';
  readonly unit: 'm3';
  readonly waterRight: DgaObraConfig['waterRight'] | null;
  readonly periods: ReadonlyArray<VolumePeriod & { readonly startIso: string; readonly endIso: string; readonly shareOfAnnualPct: number | null }>;
  readonly totalM3: number;
}

export type ExceedanceKind = 'flow' | 'annual-volume';

export interface Exceedance {
  readonly obra: string;
  readonly kind: ExceedanceKind;
  /** First reading over the limit (flow), or the instant the year's extraction passed it (annual-volume), ms. */
  readonly from: number;
  /** Last reading over the limit (flow) or the year's end (annual-volume); null while still open at the end of the asked range. */
  readonly to: number | null;
  /** Highest flow, L/s; or the year's volume, m³. */
  readonly value: number;
  /** The granted value with its tolerance: L/s or m³. */
  readonly limit: number;
}

/** Rounds a share to 0.01 %. */
const pct = (part: number, whole: number): number => Math.round((part / whole) * 10_000) / 100;

export class VolumeService {
  constructor(private readonly deps: { readonly config: DgaConfig; readonly records: RelayStore }) {}

  obra(code: string): DgaObraConfig {
    const obra = this.deps.config.obras.find((o) => o.code === code);
    if (obra === undefined) throw unknownObra(code);
    return obra;
  }

  async volumes(code: string, range: { readonly from: number; readonly to: number; readonly granularity: VolumeGranularity }): Promise<ObraVolumes> {
    const obra = this.obra(code);
    const samples =
      obra.channels.totalizer === undefined ? [] : await this.samples(obra, obra.channels.totalizer, 'volume', range.from - MARGIN_MS, range.to + MARGIN_MS);
    const periods = computeVolumes(samples, { ...range, ...(obra.totalizerWrapAt === undefined ? {} : { wrapAt: obra.totalizerWrapAt }) });
    const annual = obra.waterRight?.annualM3;
    return {
      obra: code,
      granularity: range.granularity,
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      timeZone: 'UTC-04:00',
      unit: 'm3',
      waterRight: obra.waterRight ?? null,
      periods: periods.map((p) => ({
        ...p,
        startIso: new Date(p.start).toISOString(),
        endIso: new Date(p.end).toISOString(),
        shareOfAnnualPct: annual === undefined || p.volumeM3 === null ? null : pct(p.volumeM3, annual),
      })),
      totalM3: Math.round(periods.reduce((sum, p) => sum + (p.volumeM3 ?? 0), 0) * 1000) / 1000,
    };
  }

  /** Exceedances of the obra's water right that overlap [from, to); none when it has no water right. */
  async exceedances(code: string, from: number, to: number): Promise<Exceedance[]> {
    const obra = this.obra(code);
    const right = obra.waterRight;
    if (right === undefined) return [];
    const withTolerance = (granted: number): number => (granted * (100 + right.tolerancePct)) / 100;
    const out: Exceedance[] = [];
    if (obra.channels.flow !== undefined) {
      const limit = withTolerance(right.flowLps);
      const flows = await this.samples(obra, obra.channels.flow, 'flow', from, to);
      let open: { from: number; to: number; value: number } | undefined;
      for (const s of flows) {
        if (s.value > limit) {
          if (open === undefined) open = { from: s.ts, to: s.ts, value: s.value };
          else open = { from: open.from, to: s.ts, value: Math.max(open.value, s.value) };
        } else if (open !== undefined) {
          out.push({ obra: code, kind: 'flow', from: open.from, to: open.to, value: open.value, limit });
          open = undefined;
        }
      }
      if (open !== undefined) out.push({ obra: code, kind: 'flow', from: open.from, to: null, value: open.value, limit });
    }
    if (obra.channels.totalizer !== undefined) {
      const limit = withTolerance(right.annualM3);
      for (let year = periodStart(from, 'year'); year < to; year = nextPeriod(year, 'year')) {
        const end = nextPeriod(year, 'year');
        const samples = await this.samples(obra, obra.channels.totalizer, 'volume', year - MARGIN_MS, end + MARGIN_MS);
        const [whole] = computeVolumes(samples, {
          granularity: 'year',
          from: year,
          to: end,
          ...(obra.totalizerWrapAt === undefined ? {} : { wrapAt: obra.totalizerWrapAt }),
        });
        if (whole?.volumeM3 == null || whole.volumeM3 <= limit) continue;
        out.push({
          obra: code,
          kind: 'annual-volume',
          from: crossing(samples, year, limit, obra.totalizerWrapAt),
          to: end <= to ? end : null,
          value: whole.volumeM3,
          limit,
        });
      }
    }
    return out;
  }

  /** Good readings of one channel in [from, to), in DGA units, sorted by time (tsCorrected when set). */
  async samples(obra: DgaObraConfig, channel: string, quantity: DgaQuantity, from: number, to: number): Promise<TotalizerSample[]> {
    const out: TotalizerSample[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.records.queryRecords({
        gateway: obra.gateway,
        device: obra.device,
        channel,
        kind: 'reading',
        from,
        to,
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const r of page.items) {
        const sample = toSample(r, quantity);
        if (sample !== undefined) out.push(sample);
      }
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return out.sort((a, b) => a.ts - b.ts);
  }
}

function toSample(r: RelayRecord, quantity: DgaQuantity): TotalizerSample | undefined {
  if (r.quality !== 'good' || r.value === null) return undefined;
  // Taken with an unsynchronized clock the relay could not place: its time is unknown (as derive.ts).
  if ((r.flags & RECORD_FLAGS.clockUnsynced) !== 0 && r.tsCorrected === null) return undefined;
  const value = toDgaUnit(quantity, r.value, r.unit);
  return value === undefined ? undefined : { ts: r.tsCorrected ?? r.ts, value };
}

/** The first reading at which the year's running volume passed `limit` (readings from the year's start on). */
function crossing(samples: readonly TotalizerSample[], yearStart: number, limit: number, wrapAt: number | undefined): number {
  let running = 0;
  let previous: TotalizerSample | undefined;
  for (const s of samples) {
    if (previous !== undefined && s.ts > yearStart) {
      const step = totalizerStep(previous.value, s.value, wrapAt).m3;
      // A step that straddles the year's start counts for its part inside the year.
      running += previous.ts >= yearStart ? step : (step * (s.ts - yearStart)) / (s.ts - previous.ts);
      if (running > limit) return s.ts;
    }
    previous = s;
  }
  return previous?.ts ?? yearStart;
}
