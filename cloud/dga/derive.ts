/**
 * Slots of an obra from the relay's records: which slots are due (protocols/dga time.ts, fixed
 * UTC-4 all year), and for each the measurement protocols/dga slots.ts derives from the readings
 * within ±toleranceMs, or `missing` with the reason. Nothing is invented (Res. 2.170 §6.3): a slot
 * without a good reading stays missing and is shown as a transmission failure.
 *
 * Readings come late when a gateway was offline (store-and-forward): a slot is derived once its
 * window has closed (slot + tolerance ≤ now), and missing slots are derived again while recent
 * (recheckMissingMs) whenever the gateway has synced since the last look.
 *
 * A tick derives an obra's due slots together: one range query per channel for all of them, the
 * plausibility history read once, and every row written in one transaction (putSlots). Each
 * derived slot passes the obra's plausibility checks (protocols/dga plausibility.ts); one that
 * fails a check is held for review instead of queued (docs/dga.md#review-before-sending).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { Finding, HistoryPoint, ReadingMarks, ReviewRules, SlotChannels, SlotReading } from '../../protocols/dga/index.ts';
import { deriveSlotMeasurement, integrateFlow, reviewSlot, slotsBetween } from '../../protocols/dga/index.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import type { DerivedBatch, DgaStore, SlotInput } from '../store/dga-types.ts';
import type { RelayRecord, RelayStore } from '../store/types.ts';
import type { DgaConfig, DgaObraConfig } from './config.ts';
import type { DgaQuantity } from './units.ts';
import { DGA_UNITS, toDgaUnit } from './units.ts';

const PAGE = 10_000;

interface ChannelPlan {
  readonly channel: string;
  readonly slotKey: keyof SlotChannels;
  readonly quantity: DgaQuantity;
  /** Turns the converted value into what DGA gets (water column → level below the surface). */
  readonly map?: (value: number) => number;
}

/** The obra's configured channels and the DGA field each one feeds. */
export function channelPlans(obra: DgaObraConfig): ChannelPlan[] {
  const c = obra.channels;
  const plans: ChannelPlan[] = [];
  if (c.flow !== undefined) plans.push({ channel: c.flow, slotKey: 'caudal', quantity: 'flow' });
  if (c.totalizer !== undefined) plans.push({ channel: c.totalizer, slotKey: 'totalizador', quantity: 'volume' });
  if (c.level !== undefined) plans.push({ channel: c.level, slotKey: 'nivelFreatico', quantity: 'depth' });
  if (c.waterColumn !== undefined) {
    const depth = obra.sensorDepthM ?? 0;
    // Level below the surface = sensor depth − water column above the sensor, clamped at 0 (docs/dga.md#rest-payloads).
    plans.push({ channel: c.waterColumn, slotKey: 'nivelFreatico', quantity: 'depth', map: (column) => Math.max(0, depth - column) });
  }
  if (c.staffGauge !== undefined) plans.push({ channel: c.staffGauge, slotKey: 'alturaLimnimetrica', quantity: 'gauge' });
  return plans;
}

export interface SlotDeriverOptions {
  readonly config: DgaConfig;
  readonly records: RelayStore;
  readonly queue: DgaStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Names this process on `held` audit lines. */
  readonly instance: string;
}

const HOUR_MS = 3_600_000;
/** Farthest back the flow is read to integrate it up to a tick's first slot, ms. */
const MAX_INTEGRATION_MS = 32 * 24 * HOUR_MS;

/** One channel's readings over a tick's range, sorted by time, with the marks the checks count. */
interface ChannelSeries {
  readonly plan: ChannelPlan;
  readonly readings: SlotReading[];
  /** Readings whose clock was not synchronized (placed by their corrected or raw time). */
  readonly unsynced: number[];
  readonly badUnits: Set<string>;
}

/** First index whose ts is ≥ t (items sorted by ts). */
function lowerBound(items: ReadonlyArray<{ readonly ts: number }> | readonly number[], t: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const x = items[mid]!;
    if ((typeof x === 'number' ? x : x.ts) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function reviewRules(obra: DgaObraConfig): ReviewRules {
  const r = obra.review;
  return {
    frozenTotalizerHours: r.frozenTotalizerHours,
    jumpFactor: r.jumpFactor,
    medianWindowHours: r.medianWindowHours,
    volumeFlowTolerancePct: r.volumeFlowTolerancePct,
    volumeFlowMinM3: r.volumeFlowMinM3,
    wellDepthM: r.wellDepthM,
    waterRightLps: obra.waterRight?.flowLps,
    waterRightTolerancePct: obra.waterRight?.tolerancePct,
  };
}

export interface ObraDerivation {
  readonly derived: number;
  readonly missing: number;
  readonly recovered: number;
  readonly review: number;
  /** What the tick writes for the obra; null when nothing came due. */
  readonly batch: DerivedBatch | null;
}

export class SlotDeriver {
  private readonly log: Logger;

  constructor(private readonly options: SlotDeriverOptions) {
    this.log = options.logger.child({ component: 'dga-derive' });
  }

  /**
   * Derives the obra's slots that came due since the last call (returned as a batch for the
   * tick's one write, DgaStore.putSlots), and missing ones again after a sync (written at once).
   */
  async deriveObra(obra: DgaObraConfig): Promise<ObraDerivation> {
    const { queue, records, config, clock } = this.options;
    const now = clock.now();
    await queue.ensureObra(obra.code, now);
    const state = await queue.obraState(obra.code);
    let recovered = 0;
    const gateway = await records.getGateway(obra.gateway);
    const synced = gateway?.lastSeenAt ?? null;
    if (synced !== null && (state?.recheckedAt == null || synced >= state.recheckedAt)) {
      // Scattered old slots, one at a time: each against its own history and baseline.
      for (const slot of await queue.missingSlots(obra.code, now - config.recheckMissingMs, config.maxSlotsPerTick)) {
        const input = await this.deriveSlot(obra, slot);
        // putSlots for its `held` audit line; derivedThrough only ever moves forward.
        if ('measurement' in input && (await queue.putSlots([{ obra: obra.code, inputs: [input], derivedThrough: slot }], now, this.options.instance)) > 0)
          recovered++;
      }
      await queue.setRecheckedAt(obra.code, now);
    }
    const from = state?.derivedThrough == null ? Date.parse(obra.startAt) : state.derivedThrough + 1;
    const until = now - config.toleranceMs;
    const slots = until >= from ? slotsBetween(from, until, obra.standard, config.maxSlotsPerTick) : [];
    const inputs = await this.deriveSlots(obra, slots);
    const missing = inputs.filter((i) => 'missing' in i).length;
    const review = inputs.filter((i) => 'findings' in i && i.findings !== undefined && i.findings.length > 0).length;
    if (review > 0) this.log.warn({ obra: obra.code, review }, 'DGA slots held for review: not sent until a person acts (atalaya relay dga review list)');
    if (slots.length > 0 || recovered > 0) this.log.debug({ obra: obra.code, derived: slots.length, missing, review, recovered }, 'DGA slots derived');
    const last = slots[slots.length - 1];
    return { derived: slots.length, missing, recovered, review, batch: last === undefined ? null : { obra: obra.code, inputs, derivedThrough: last } };
  }

  /** One slot's measurement (with its findings), or why there is none. */
  async deriveSlot(obra: DgaObraConfig, slot: number): Promise<SlotInput> {
    return (await this.deriveSlots(obra, [slot]))[0]!;
  }

  /** Consecutive slots of the obra (ascending), each checked against the ones before it. */
  async deriveSlots(obra: DgaObraConfig, slots: readonly number[]): Promise<SlotInput[]> {
    const first = slots[0];
    const last = slots[slots.length - 1];
    if (first === undefined || last === undefined) return [];
    const { config, queue } = this.options;
    const checks = obra.review.enabled;
    const rules = reviewRules(obra);
    const windowMs = Math.max(rules.medianWindowHours, rules.frozenTotalizerHours) * HOUR_MS;
    const history: HistoryPoint[] = checks
      ? (await queue.history(obra.code, first - windowMs, first)).map((h) => ({
          slot: h.slot,
          caudal: h.measurement.caudal,
          totalizador: h.measurement.totalizador,
        }))
      : [];
    const lastTotalSlot = [...history].reverse().find((h) => typeof h.totalizador === 'number')?.slot;
    const integrateFrom = checks && lastTotalSlot !== undefined ? Math.max(lastTotalSlot, first - MAX_INTEGRATION_MS) : first;
    const tol = config.toleranceMs;
    const series: ChannelSeries[] = [];
    for (const plan of channelPlans(obra)) {
      series.push(await this.series(obra, plan, (plan.slotKey === 'caudal' ? integrateFrom : first) - tol, last + tol + 1));
    }
    let previousTotal = obra.channels.totalizer === undefined ? undefined : await queue.previousTotal(obra.code, first);
    const flow = series.find((x) => x.plan.slotKey === 'caudal');
    const goodFlow = flow === undefined ? [] : flow.readings.filter((r): r is SlotReading & { value: number } => r.quality === 'good' && r.value !== null);
    const maxGapMs = obra.review.volumeFlowMaxGapMin * 60_000;
    const out: SlotInput[] = [];
    for (const slot of slots) {
      const channels: Record<string, SlotReading[]> = {};
      const unitProblems: Record<string, string> = {};
      const marks = { clockUnsynced: 0, sensorFault: 0, outOfRange: 0 };
      for (const c of series) {
        const near = c.readings.slice(lowerBound(c.readings, slot - tol), lowerBound(c.readings, slot + tol + 1));
        channels[c.plan.slotKey] = near;
        if (c.badUnits.size > 0)
          unitProblems[c.plan.slotKey] =
            `unit ${[...c.badUnits].map((u) => `'${u}'`).join(', ')} of channel ${c.plan.channel} is not convertible to ${DGA_UNITS[c.plan.quantity]}`;
        for (const r of near) {
          if (r.quality === 'sensor_fault') marks.sensorFault++;
          else if (r.quality === 'out_of_range') marks.outOfRange++;
        }
        marks.clockUnsynced += lowerBound(c.unsynced, slot + tol + 1) - lowerBound(c.unsynced, slot - tol);
      }
      // With the checks on, a non-wrapping meter that went backwards is held for a person
      // (totalizer_backwards) rather than missing: a replaced meter is theirs to confirm.
      const baseline = checks && obra.totalizerWrapAt === undefined ? undefined : previousTotal;
      const result = deriveSlotMeasurement(channels as SlotChannels, slot, {
        toleranceMs: tol,
        flowDeadband: obra.flowDeadbandLps,
        totalizer: {
          ...(obra.totalizerWrapAt === undefined ? {} : { wrapAt: obra.totalizerWrapAt }),
          ...(baseline === undefined ? {} : { previousTotal: baseline }),
        },
      });
      if ('missing' in result) {
        const reasons = Object.entries(result.missing).map(
          ([field, why]) => `${field}: ${why}${unitProblems[field] === undefined ? '' : ` (${unitProblems[field]})`}`,
        );
        out.push({ obra: obra.code, slot, kind: obra.kind, missing: reasons.join('; ') });
        continue;
      }
      const m = result.measurement;
      let findings: Finding[] = [];
      if (checks) {
        const prev = lastWithTotal(history);
        const integrated = prev === undefined || flow === undefined ? undefined : integrateSlice(goodFlow, prev.slot, slot, tol, maxGapMs);
        findings = reviewSlot(
          {
            measurement: m,
            history,
            marks: marks satisfies ReadingMarks,
            previousTotal: obra.totalizerWrapAt === undefined ? previousTotal : undefined,
            integratedFlowM3: integrated,
          },
          rules,
        );
        history.push({ slot, caudal: m.caudal, totalizador: m.totalizador });
        while (history.length > 0 && history[0]!.slot < slot - windowMs) history.shift();
      }
      if (findings.length === 0 && typeof m.totalizador === 'number') previousTotal = m.totalizador;
      out.push(
        findings.length === 0
          ? { obra: obra.code, slot, kind: obra.kind, measurement: m }
          : { obra: obra.code, slot, kind: obra.kind, measurement: m, findings },
      );
    }
    return out;
  }

  /** The channel's readings in [from, to), in DGA units, on the relay's corrected clock. */
  private async series(obra: DgaObraConfig, plan: ChannelPlan, from: number, to: number): Promise<ChannelSeries> {
    const readings: SlotReading[] = [];
    const unsynced: number[] = [];
    const badUnits = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.options.records.queryRecords({
        gateway: obra.gateway,
        device: obra.device,
        channel: plan.channel,
        kind: 'reading',
        from,
        to,
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const r of page.items) {
        if ((r.flags & RECORD_FLAGS.clockUnsynced) !== 0) unsynced.push(r.tsCorrected ?? r.ts);
        const reading = this.convert(r, plan);
        if (reading === 'bad-unit') badUnits.add(r.unit);
        else if (reading !== undefined) readings.push(reading);
      }
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    readings.sort((a, b) => a.ts - b.ts);
    unsynced.sort((a, b) => a - b);
    return { plan, readings, unsynced, badUnits };
  }

  private convert(r: RelayRecord, plan: ChannelPlan): SlotReading | 'bad-unit' | undefined {
    // Taken with an unsynchronized clock in a boot the relay could not place: its time is unknown.
    if ((r.flags & RECORD_FLAGS.clockUnsynced) !== 0 && r.tsCorrected === null) return undefined;
    const ts = r.tsCorrected ?? r.ts;
    if (r.value === null) return { ts, value: null, quality: r.quality };
    const converted = toDgaUnit(plan.quantity, r.value, r.unit);
    if (converted === undefined) return 'bad-unit';
    return { ts, value: plan.map === undefined ? converted : plan.map(converted), quality: r.quality };
  }
}

function lastWithTotal(history: readonly HistoryPoint[]): HistoryPoint | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (typeof history[i]!.totalizador === 'number') return history[i];
  return undefined;
}

/** integrateFlow over the good flow readings near [from, to] only (binary search, not a scan). */
function integrateSlice(flow: ReadonlyArray<{ ts: number; value: number }>, from: number, to: number, edgeMs: number, maxGapMs: number): number | undefined {
  return integrateFlow(flow.slice(lowerBound(flow, from - edgeMs), lowerBound(flow, to + edgeMs + 1)), from, to, edgeMs, maxGapMs);
}
