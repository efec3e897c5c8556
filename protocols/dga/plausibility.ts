/**
 * Plausibility checks on one slot before it is queued for DGA (issue 14 §2). Pure. A measurement
 * DGA accepted can never be corrected (Res. 2.170), so a slot whose values look wrong is held for
 * a person (`review`) rather than sent; each check returns a coded finding with the numbers that
 * triggered it, never a changed value. Nothing here decides what is sent: a person does.
 */
import type { Measurement } from './measurement.ts';

export const FINDING_CODES = [
  'frozen_totalizer',
  'totalizer_backwards',
  'flow_jump',
  'volume_jump',
  'over_water_right',
  'level_out_of_range',
  'clock_unsynced',
  'sensor_fault',
  'out_of_range',
  'volume_flow_mismatch',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  readonly code: FindingCode;
  /** What a person reads. */
  readonly message: string;
  /** The numbers that triggered it (units in the key: `flowLps`, `hours`, `m3`…). */
  readonly values: Readonly<Record<string, number>>;
}

export interface ReviewRules {
  /** Totalizer unchanged while the flow stays > 0 for at least this long, h. */
  readonly frozenTotalizerHours: number;
  /** A flow or hourly volume above this × the recent median is a jump (> 1). */
  readonly jumpFactor: number;
  /** How far back the median looks, h. */
  readonly medianWindowHours: number;
  /** Totalizer volume vs integrated flow: largest difference, % of the larger. */
  readonly volumeFlowTolerancePct: number;
  /** Differences below this many m³ are never a mismatch (meter resolution). */
  readonly volumeFlowMinM3: number;
  /** Depth of the well, m: a level (below the surface) beyond it is impossible. */
  readonly wellDepthM?: number | undefined;
  /** Caudal otorgado, l/s, and the margin over it, %. */
  readonly waterRightLps?: number | undefined;
  readonly waterRightTolerancePct?: number | undefined;
}

export const DEFAULT_REVIEW_RULES: ReviewRules = {
  frozenTotalizerHours: 3,
  jumpFactor: 5,
  medianWindowHours: 24,
  volumeFlowTolerancePct: 20,
  volumeFlowMinM3: 1,
};

/** An earlier slot of the obra (the values it was or will be sent with). */
export interface HistoryPoint {
  readonly slot: number;
  readonly caudal?: number | null | undefined;
  readonly totalizador?: number | null | undefined;
}

/** Readings within ±tolerance of the slot that were not plain good readings on a synchronized clock. */
export interface ReadingMarks {
  readonly clockUnsynced: number;
  readonly sensorFault: number;
  readonly outOfRange: number;
}

export interface SlotEvidence {
  readonly measurement: Measurement;
  /** Earlier slots, oldest first (only those within medianWindowHours count). */
  readonly history: readonly HistoryPoint[];
  readonly marks?: ReadingMarks | undefined;
  /** The totalizer of the last slot sent or queued, for a meter that does not wrap. */
  readonly previousTotal?: number | undefined;
  /** Flow integrated since the previous slot with a totalizer (m³), when the flow readings cover it. */
  readonly integratedFlowM3?: number | undefined;
}

const HOUR_MS = 3_600_000;
const round = (x: number, digits = 3): number => +x.toFixed(digits);

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const num = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** The totalizer has not moved for ≥ frozenTotalizerHours while every slot in that run had flow > 0. */
export function frozenTotalizer(e: SlotEvidence, rules: ReviewRules): Finding | undefined {
  const { totalizador: total, caudal } = e.measurement;
  if (!num(total) || !num(caudal) || caudal <= 0) return undefined;
  let since = e.measurement.at;
  for (let i = e.history.length - 1; i >= 0; i--) {
    const h = e.history[i]!;
    if (!num(h.totalizador)) continue;
    if (h.totalizador !== total || !num(h.caudal) || h.caudal <= 0) break;
    since = h.slot;
  }
  const hours = (e.measurement.at - since) / HOUR_MS;
  if (hours < rules.frozenTotalizerHours) return undefined;
  return {
    code: 'frozen_totalizer',
    message: `totalizer stuck at ${total} m³ for ${round(hours, 1)} h while the flow is ${caudal} l/s`,
    values: { m3: total, hours: round(hours, 2), flowLps: caudal },
  };
}

/** A meter that does not wrap reads less than the last total sent (a reset or replacement, or a fault). */
export function totalizerBackwards(e: SlotEvidence): Finding | undefined {
  const total = e.measurement.totalizador;
  if (!num(total) || e.previousTotal === undefined || total >= e.previousTotal) return undefined;
  return {
    code: 'totalizer_backwards',
    message: `totalizer went backwards (${e.previousTotal} → ${total} m³)`,
    values: { previousM3: e.previousTotal, m3: total },
  };
}

/** The history within medianWindowHours before the slot (history is oldest first: walk back from its end). */
function recent(e: SlotEvidence, rules: ReviewRules): HistoryPoint[] {
  const from = e.measurement.at - rules.medianWindowHours * HOUR_MS;
  let i = e.history.length;
  while (i > 0 && e.history[i - 1]!.slot >= e.measurement.at) i--;
  let j = i;
  while (j > 0 && e.history[j - 1]!.slot >= from) j--;
  return e.history.slice(j, i);
}

/** Least earlier values before a median is trusted. */
const MIN_MEDIAN_POINTS = 3;

/** Flow above jumpFactor × the median flow of the window (a median of 0 is a stopped pump, not a baseline). */
export function flowJump(e: SlotEvidence, rules: ReviewRules, window: readonly HistoryPoint[] = recent(e, rules)): Finding | undefined {
  const q = e.measurement.caudal;
  if (!num(q)) return undefined;
  const flows: number[] = [];
  for (const h of window) if (num(h.caudal)) flows.push(h.caudal);
  const m = flows.length >= MIN_MEDIAN_POINTS ? median(flows) : undefined;
  if (m === undefined || m <= 0 || q <= rules.jumpFactor * m) return undefined;
  return {
    code: 'flow_jump',
    message: `flow ${q} l/s is ${round(q / m, 1)}× the median ${round(m)} l/s of the last ${rules.medianWindowHours} h`,
    values: { flowLps: q, medianLps: round(m, 6), factor: round(q / m, 3) },
  };
}

/** Volume per hour since the previous slot above jumpFactor × the median hourly volume of the window. */
export function volumeJump(e: SlotEvidence, rules: ReviewRules, window: readonly HistoryPoint[] = recent(e, rules)): Finding | undefined {
  const total = e.measurement.totalizador;
  if (!num(total)) return undefined;
  const rates: number[] = [];
  let prev: HistoryPoint | undefined;
  for (const h of window) {
    if (!num(h.totalizador)) continue;
    if (prev !== undefined) rates.push((h.totalizador - (prev.totalizador as number)) / ((h.slot - prev.slot) / HOUR_MS));
    prev = h;
  }
  const current = prev === undefined ? undefined : (total - (prev.totalizador as number)) / ((e.measurement.at - prev.slot) / HOUR_MS);
  const m = rates.length >= MIN_MEDIAN_POINTS ? median(rates) : undefined;
  if (current === undefined || m === undefined || m <= 0 || current <= rules.jumpFactor * m) return undefined;
  return {
    code: 'volume_jump',
    message: `${round(current)} m³/h since the previous slot is ${round(current / m, 1)}× the median ${round(m)} m³/h`,
    values: { m3PerHour: round(current, 6), medianM3PerHour: round(m, 6), factor: round(current / m, 3) },
  };
}

/** Flow above the obra's water right plus its tolerance. */
export function overWaterRight(e: SlotEvidence, rules: ReviewRules): Finding | undefined {
  const q = e.measurement.caudal;
  if (!num(q) || rules.waterRightLps === undefined) return undefined;
  const limit = rules.waterRightLps * (1 + (rules.waterRightTolerancePct ?? 0) / 100);
  if (q <= limit) return undefined;
  return {
    code: 'over_water_right',
    message: `flow ${q} l/s above the water right ${rules.waterRightLps} l/s (+${rules.waterRightTolerancePct ?? 0} %)`,
    values: { flowLps: q, rightLps: rules.waterRightLps, limitLps: round(limit, 6) },
  };
}

/** A level below the surface deeper than the well itself. */
export function levelOutOfRange(e: SlotEvidence, rules: ReviewRules): Finding | undefined {
  const level = e.measurement.nivelFreatico;
  if (!num(level) || rules.wellDepthM === undefined || level <= rules.wellDepthM) return undefined;
  return {
    code: 'level_out_of_range',
    message: `level ${level} m below the surface, deeper than the well (${rules.wellDepthM} m)`,
    values: { levelM: level, wellDepthM: rules.wellDepthM },
  };
}

/** Readings near the slot taken on an unsynchronized clock, or marked sensor_fault or out_of_range. */
export function readingMarks(e: SlotEvidence): Finding[] {
  const m = e.marks;
  if (m === undefined) return [];
  const out: Finding[] = [];
  if (m.clockUnsynced > 0)
    out.push({
      code: 'clock_unsynced',
      message: `${m.clockUnsynced} reading(s) near the slot taken with the gateway clock not synchronized`,
      values: { readings: m.clockUnsynced },
    });
  if (m.sensorFault > 0)
    out.push({ code: 'sensor_fault', message: `${m.sensorFault} reading(s) near the slot marked sensor_fault`, values: { readings: m.sensorFault } });
  if (m.outOfRange > 0)
    out.push({ code: 'out_of_range', message: `${m.outOfRange} reading(s) near the slot marked out_of_range`, values: { readings: m.outOfRange } });
  return out;
}

/** The totalizer's volume since the previous slot differs from the integrated flow by more than the tolerance. */
export function volumeFlowMismatch(e: SlotEvidence, rules: ReviewRules): Finding | undefined {
  const total = e.measurement.totalizador;
  const integrated = e.integratedFlowM3;
  if (!num(total) || integrated === undefined) return undefined;
  let prev: HistoryPoint | undefined;
  for (let i = e.history.length - 1; i >= 0 && prev === undefined; i--) if (num(e.history[i]!.totalizador)) prev = e.history[i];
  if (prev === undefined) return undefined;
  const volume = total - (prev.totalizador as number);
  const diff = Math.abs(volume - integrated);
  if (diff < rules.volumeFlowMinM3 || diff <= (rules.volumeFlowTolerancePct / 100) * Math.max(Math.abs(volume), Math.abs(integrated))) return undefined;
  return {
    code: 'volume_flow_mismatch',
    message: `totalizer volume ${round(volume)} m³ vs integrated flow ${round(integrated)} m³ since the previous slot`,
    values: { totalizerM3: round(volume, 6), integratedM3: round(integrated, 6) },
  };
}

/** Every finding of one slot; empty when it may be sent. */
export function reviewSlot(e: SlotEvidence, rules: ReviewRules): Finding[] {
  const window = recent(e, rules);
  const found = [
    frozenTotalizer(e, rules),
    totalizerBackwards(e),
    flowJump(e, rules, window),
    volumeJump(e, rules, window),
    overWaterRight(e, rules),
    levelOutOfRange(e, rules),
    ...readingMarks(e),
    volumeFlowMismatch(e, rules),
  ];
  return found.filter((f): f is Finding => f !== undefined);
}

/**
 * Trapezoidal integral of the flow (l/s) from `from` to `to` (ms), in m³; undefined when the
 * readings do not cover the interval (none within `edgeMs` of either end, or a gap above `maxGapMs`).
 * `readings` sorted by time, good values only.
 */
export function integrateFlow(
  readings: ReadonlyArray<{ readonly ts: number; readonly value: number }>,
  from: number,
  to: number,
  edgeMs: number,
  maxGapMs: number,
): number | undefined {
  const inside = readings.filter((r) => r.ts >= from - edgeMs && r.ts <= to + edgeMs);
  if (inside.length < 2) return undefined;
  if (inside[0]!.ts > from + edgeMs || inside[inside.length - 1]!.ts < to - edgeMs) return undefined;
  let litres = 0;
  for (let i = 1; i < inside.length; i++) {
    const a = inside[i - 1]!;
    const b = inside[i]!;
    if (b.ts - a.ts > maxGapMs) return undefined;
    litres += ((a.value + b.value) / 2) * ((b.ts - a.ts) / 1000);
  }
  // Scaled from the covered span to the interval (the ends lie within edgeMs of the slots).
  const span = inside[inside.length - 1]!.ts - inside[0]!.ts;
  return span <= 0 ? undefined : (litres / 1000) * ((to - from) / span);
}
