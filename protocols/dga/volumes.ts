/**
 * Extracted volume per day, month or year from an obra's totalizer readings (issue 14 §3): pure.
 *
 * Calendar periods are on DGA's fixed UTC-4 clock (time.ts, Res. Ex. DGA 2.170/2025 §2), the same
 * clock the hourly slots use, so a day's volume is the sum of that day's 24 reported hours and an
 * hour never counts twice when Chile changes its clocks.
 *
 * Between two consecutive readings the totalizer rose by `next − previous`; a register that wraps
 * at `wrapAt` is unwrapped the way slots.ts does (one wrap at most, a step over half the register
 * is not a wrap). A decrease that is not a wrap (meter reset or replaced, reverse flow) counts 0
 * and is flagged `reset`: a volume is never negative and never invented. Each step is spread over
 * the periods its interval overlaps in proportion to time (exact when a reading falls on the
 * boundary, linear otherwise). Volumes are rounded to 0.001 m³ (1 L), below any meter's resolution,
 * so float noise from summing many steps never shows.
 */

import { argumentError } from './errors.ts';
import { DGA_UTC_OFFSET_MS } from './time.ts';

export const VOLUME_GRANULARITIES = ['day', 'month', 'year'] as const;
export type VolumeGranularity = (typeof VOLUME_GRANULARITIES)[number];

/** A totalizer reading in m³, raw (as the register gives it, before unwrapping). */
export interface TotalizerSample {
  readonly ts: number;
  readonly value: number;
}

/** Why a period's volume deserves a second look. */
export type VolumeFlag = 'rollover' | 'reset' | 'incomplete' | 'no-readings';

export interface VolumePeriod {
  /** Period start and end (exclusive), ms since the epoch. */
  readonly start: number;
  readonly end: number;
  /** `YYYY-MM-DD`, `YYYY-MM` or `YYYY` on the UTC-4 clock. */
  readonly label: string;
  /** m³, rounded to 0.001; null when no reading covers any part of the period. */
  readonly volumeM3: number | null;
  /** Readings inside the period. */
  readonly readings: number;
  readonly flags: readonly VolumeFlag[];
}

export interface VolumeOptions {
  readonly granularity: VolumeGranularity;
  /** Periods overlapping [from, to) are returned whole (from is rounded down to its period's start). */
  readonly from: number;
  readonly to: number;
  /** Register modulus in m³ (e.g. 429496729.6 for a uint32 count of 0.1 m³); absent when it does not wrap. */
  readonly wrapAt?: number;
}

const DECIMALS = 1000;
const round = (m3: number): number => Math.round(m3 * DECIMALS) / DECIMALS || 0;
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Start of the UTC-4 period holding `ms`. */
export function periodStart(ms: number, granularity: VolumeGranularity): number {
  const d = new Date(ms + DGA_UTC_OFFSET_MS);
  const y = d.getUTCFullYear();
  const local =
    granularity === 'year' ? Date.UTC(y, 0, 1) : granularity === 'month' ? Date.UTC(y, d.getUTCMonth(), 1) : Date.UTC(y, d.getUTCMonth(), d.getUTCDate());
  return local - DGA_UTC_OFFSET_MS;
}

/** Start of the period after the one starting at `start`. */
export function nextPeriod(start: number, granularity: VolumeGranularity): number {
  const d = new Date(start + DGA_UTC_OFFSET_MS);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const local = granularity === 'year' ? Date.UTC(y + 1, 0, 1) : granularity === 'month' ? Date.UTC(y, m + 1, 1) : Date.UTC(y, m, d.getUTCDate() + 1);
  return local - DGA_UTC_OFFSET_MS;
}

export function periodLabel(start: number, granularity: VolumeGranularity): string {
  const d = new Date(start + DGA_UTC_OFFSET_MS);
  const y = pad(d.getUTCFullYear(), 4);
  if (granularity === 'year') return y;
  const m = `${y}-${pad(d.getUTCMonth() + 1)}`;
  return granularity === 'month' ? m : `${m}-${pad(d.getUTCDate())}`;
}

/** One step between consecutive readings: the volume it adds (≥ 0) and what it was. */
export function totalizerStep(
  previous: number,
  next: number,
  wrapAt: number | undefined,
): { readonly m3: number; readonly kind: 'normal' | 'rollover' | 'reset' } {
  if (next >= previous) return { m3: next - previous, kind: 'normal' };
  if (wrapAt !== undefined && previous < wrapAt && next >= 0) {
    const step = wrapAt - previous + next;
    if (step <= wrapAt / 2) return { m3: step, kind: 'rollover' };
  }
  return { m3: 0, kind: 'reset' };
}

/**
 * Volumes of every period overlapping [from, to). `samples` must be sorted by ts; readings just
 * outside [from, to) should be included so the first and last periods are whole (periods that
 * readings do not span end to end are flagged `incomplete`).
 */
export function computeVolumes(samples: readonly TotalizerSample[], options: VolumeOptions): VolumePeriod[] {
  const { granularity, from, to, wrapAt } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw argumentError('to', 'expected from < to');
  if (wrapAt !== undefined && !(Number.isFinite(wrapAt) && wrapAt > 0)) throw argumentError('wrapAt', 'expected a finite number > 0');
  const starts: number[] = [];
  for (let s = periodStart(from, granularity); s < to; s = nextPeriod(s, granularity)) starts.push(s);
  starts.push(nextPeriod(starts[starts.length - 1]!, granularity));
  const n = starts.length - 1;
  const volume = new Array<number>(n).fill(0);
  const covered = new Array<number>(n).fill(0);
  const readings = new Array<number>(n).fill(0);
  const flags = Array.from({ length: n }, () => new Set<VolumeFlag>());
  const first = starts[0]!;
  const last = starts[n]!;
  const indexOf = (ts: number): number => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= ts) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.ts >= first && s.ts < last) readings[indexOf(s.ts)]!++;
    const next = samples[i + 1];
    if (next === undefined) break;
    if (next.ts < s.ts) throw argumentError('samples', 'expected samples sorted by ts');
    const step = totalizerStep(s.value, next.value, wrapAt);
    const span = next.ts - s.ts;
    if (span === 0) {
      // Two readings at one instant: the step belongs to the period holding it.
      if (s.ts < first || s.ts >= last) continue;
      const k = indexOf(s.ts);
      volume[k]! += step.m3;
      if (step.kind !== 'normal') flags[k]!.add(step.kind);
      continue;
    }
    const a = Math.max(s.ts, first);
    const b = Math.min(next.ts, last);
    for (let k = b > a ? indexOf(a) : n; k < n && starts[k]! < b; k++) {
      const lo = Math.max(a, starts[k]!);
      const hi = Math.min(b, starts[k + 1]!);
      if (hi <= lo) continue;
      volume[k]! += (step.m3 * (hi - lo)) / span;
      covered[k]! += hi - lo;
      if (step.kind !== 'normal') flags[k]!.add(step.kind);
    }
  }
  return starts.slice(0, n).map((start, k) => {
    const end = starts[k + 1]!;
    const f = flags[k]!;
    const seen = covered[k]! > 0 || readings[k]! > 0;
    if (!seen) f.add('no-readings');
    else if (covered[k]! < end - start) f.add('incomplete');
    return { start, end, label: periodLabel(start, granularity), volumeM3: seen ? round(volume[k]!) : null, readings: readings[k]!, flags: [...f] };
  });
}
