/**
 * From readings to the value DGA gets for a slot (the instants of time.ts STANDARDS). Pure. Nothing is
 * ever invented: no interpolation, no clamping of a bad value (only a negative flow within the
 * meter's zero drift is 0, FlowOptions.deadband), no carrying a value forward; a slot
 * without a trustworthy reading is `{ missing: reason }`, reported as a transmission failure
 * (Res. 2.170 §6.3), never as a made-up number.
 *
 * Rule, all standards: the measurement for a slot is the good reading closest to the slot instant
 * within ±tolerance (default 5 min), the earlier one on a tie.
 * - mayor: the reading at each HH:00:00 UTC-4.
 * - medio: the reading at 00:00 UTC-4 of the day after the day it closes (the totalizer then holds the
 *   volume through the end of that day).
 * - menor: the reading at 00:00 UTC-4 on the 1st of the month after the month it closes.
 * - muy-pequenos: the readings at 00:00 UTC-4 on 1 January and 1 July, each closing a half-year.
 */
import type { Quality } from '../records.ts';
import { argumentError } from './errors.ts';
import type { Measurement } from './measurement.ts';

export interface SlotReading {
  /** ms since the epoch (the relay's corrected time). */
  readonly ts: number;
  readonly value: number | null;
  readonly quality: Quality;
}

export type Derived = { readonly value: number; readonly ts: number } | { readonly missing: string };

export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

const minutes = (ms: number): string => `${+(ms / 60_000).toFixed(2)} min`;

function checkTolerance(toleranceMs: number): void {
  if (!Number.isFinite(toleranceMs) || toleranceMs < 0) throw argumentError('toleranceMs', 'expected a finite number ≥ 0');
}

/** The good reading closest to `slotMs` within ±`toleranceMs`, at-or-before preferred on a tie. */
export function deriveMeasurement(readings: readonly SlotReading[], slotMs: number, toleranceMs = DEFAULT_TOLERANCE_MS): Derived {
  checkTolerance(toleranceMs);
  const near = readings.filter((r) => Math.abs(r.ts - slotMs) <= toleranceMs);
  if (near.length === 0) return { missing: `no reading within ±${minutes(toleranceMs)}` };
  let best: SlotReading | undefined;
  for (const r of near) {
    if (r.quality !== 'good' || r.value === null || !Number.isFinite(r.value)) continue;
    if (best === undefined) {
      best = r;
      continue;
    }
    const d = Math.abs(r.ts - slotMs);
    const bestD = Math.abs(best.ts - slotMs);
    if (d < bestD || (d === bestD && r.ts < best.ts)) best = r;
  }
  if (best === undefined || best.value === null) {
    const counts = new Map<string, number>();
    for (const r of near) {
      const label = r.quality === 'good' ? 'no value' : r.quality;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const summary = [...counts].map(([q, n]) => `${q} ×${n}`).join(', ');
    return { missing: `no good reading within ±${minutes(toleranceMs)} (${summary})` };
  }
  return { value: best.value, ts: best.ts };
}

export interface RangeOptions {
  readonly toleranceMs?: number;
  /** Largest plausible value in the channel's unit; above it the slot is missing. Default: no limit. */
  readonly max?: number;
}

function inRange(d: Derived, what: string, unit: string, max: number | undefined): Derived {
  if ('missing' in d) return d;
  if (d.value < 0) return { missing: `negative ${what} (${d.value} ${unit})` };
  if (max !== undefined && d.value > max) return { missing: `${what} ${d.value} ${unit} above the maximum ${max} ${unit}` };
  return d;
}

export interface FlowOptions extends RangeOptions {
  /**
   * Zero drift, l/s (≥ 0, default 0): a negative flow no further below 0 than this is within the
   * meter's resolution of no flow and is 0; a larger negative (reverse flow) stays missing.
   */
  readonly deadband?: number;
}

/** Flow, l/s. A negative flow beyond the deadband (reverse flow, a fault) is missing, not clamped to 0. */
export function deriveFlow(readings: readonly SlotReading[], slotMs: number, options: FlowOptions = {}): Derived {
  const deadband = options.deadband ?? 0;
  if (!Number.isFinite(deadband) || deadband < 0) throw argumentError('deadband', 'expected a finite number ≥ 0');
  const d = deriveMeasurement(readings, slotMs, options.toleranceMs);
  const settled = !('missing' in d) && d.value < 0 && d.value >= -deadband ? { value: 0, ts: d.ts } : d;
  return inRange(settled, 'flow', 'l/s', options.max);
}

/** Water level, m below the surface (already sensor depth − water column, clamped at 0 by the caller). */
export function deriveLevel(readings: readonly SlotReading[], slotMs: number, options: RangeOptions = {}): Derived {
  return inRange(deriveMeasurement(readings, slotMs, options.toleranceMs), 'level', 'm', options.max);
}

/**
 * A cumulative total from a register that wraps at `wrapAt` (a 32-bit counter: 2^32 counts, in
 * whatever unit all three arguments share): the smallest total ≥ `previousTotal` whose remainder
 * modulo `wrapAt` is `current`. Assumes at most one wrap between the two readings, and that
 * `previousTotal` is congruent to its own raw reading (true when the first total is the raw value).
 */
export function unwrapTotalizer(previousTotal: number, current: number, wrapAt: number): number {
  if (!Number.isFinite(wrapAt) || wrapAt <= 0) throw argumentError('wrapAt', 'expected a finite number > 0');
  if (!Number.isFinite(previousTotal) || previousTotal < 0) throw argumentError('previousTotal', 'expected a finite number ≥ 0');
  if (!Number.isFinite(current) || current < 0 || current >= wrapAt) throw argumentError('current', 'expected a raw reading in [0, wrapAt)');
  const step = (((current - (previousTotal % wrapAt)) % wrapAt) + wrapAt) % wrapAt;
  return previousTotal + step;
}

export interface TotalizerOptions {
  readonly toleranceMs?: number;
  /** Register modulus (e.g. 4294967296 for a 32-bit count, in the reading's unit); absent when the meter does not wrap. */
  readonly wrapAt?: number;
  /** Last total reported for this obra, same unit; absent for the first slot. */
  readonly previousTotal?: number;
}

/**
 * Totalizer, m³ (cumulative). With `wrapAt` and `previousTotal` a wrapped register is unwrapped; a
 * step of more than half the register is taken as the meter going backwards (reset, replacement,
 * reverse flow), not as a wrap, and the slot is missing. Without `wrapAt`, any decrease is missing.
 */
export function deriveTotalizer(readings: readonly SlotReading[], slotMs: number, options: TotalizerOptions = {}): Derived {
  const d = inRange(deriveMeasurement(readings, slotMs, options.toleranceMs), 'totalizer', 'm³', undefined);
  if ('missing' in d) return d;
  const { wrapAt, previousTotal } = options;
  if (wrapAt !== undefined) {
    if (d.value >= wrapAt) return { missing: `totalizer ${d.value} not below its wrap value ${wrapAt}` };
    if (previousTotal === undefined) return d;
    const total = unwrapTotalizer(previousTotal, d.value, wrapAt);
    if (total - previousTotal > wrapAt / 2) return { missing: `totalizer went backwards or jumped more than half its range (from ${previousTotal})` };
    return { value: total, ts: d.ts };
  }
  if (previousTotal !== undefined && d.value < previousTotal) return { missing: `totalizer went backwards (${previousTotal} → ${d.value})` };
  return d;
}

export interface SlotChannels {
  /** l/s. */
  readonly caudal?: readonly SlotReading[];
  /** m³, raw (unwrapped here). */
  readonly totalizador?: readonly SlotReading[];
  /** m below the surface. */
  readonly nivelFreatico?: readonly SlotReading[];
  /** cm. */
  readonly alturaLimnimetrica?: readonly SlotReading[];
}

export interface SlotOptions {
  readonly toleranceMs?: number;
  readonly totalizer?: Omit<TotalizerOptions, 'toleranceMs'>;
  readonly maxCaudal?: number;
  readonly maxNivel?: number;
  /** See FlowOptions.deadband, l/s. */
  readonly flowDeadband?: number;
}

/**
 * The measurement of one slot from the obra's channels. A channel the obra does not have is left out
 * (undefined: e.g. no level sensor, sent empty where DGA allows it); a channel it has but that has no
 * trustworthy reading makes the whole slot missing, with a reason per channel.
 */
export function deriveSlotMeasurement(
  channels: SlotChannels,
  slotMs: number,
  options: SlotOptions = {},
): { readonly measurement: Measurement } | { readonly missing: Readonly<Record<string, string>> } {
  const tol = options.toleranceMs;
  const derived: Record<string, Derived> = {};
  if (channels.caudal) derived['caudal'] = deriveFlow(channels.caudal, slotMs, { toleranceMs: tol, max: options.maxCaudal, deadband: options.flowDeadband });
  if (channels.totalizador) derived['totalizador'] = deriveTotalizer(channels.totalizador, slotMs, { ...options.totalizer, toleranceMs: tol });
  if (channels.nivelFreatico) derived['nivelFreatico'] = deriveLevel(channels.nivelFreatico, slotMs, { toleranceMs: tol, max: options.maxNivel });
  if (channels.alturaLimnimetrica) {
    derived['alturaLimnimetrica'] = inRange(deriveMeasurement(channels.alturaLimnimetrica, slotMs, tol), 'staff-gauge height', 'cm', undefined);
  }
  const missing: Record<string, string> = {};
  const values: Record<string, number> = {};
  for (const [name, d] of Object.entries(derived)) {
    if ('missing' in d) missing[name] = d.missing;
    else values[name] = d.value;
  }
  // Each field is derived on its own (a bad flow says nothing about the totalizer) and the reason
  // names only the fields that failed; still the slot cannot be sent without them, since every
  // payload requires caudal and totalizador (measurement.ts PRESENCE).
  if (Object.keys(missing).length > 0) return { missing };
  return { measurement: { at: slotMs, ...values } };
}
