/**
 * The readings a simulated provider holds: one per periodMs from t0 up to the clock's now, grown
 * as time passes (never rewritten, like a provider's history), with a stable id per reading.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../protocols/clock.ts';
import { DEFAULT_FLOWMETER, type FlowmeterModel, type FlowmeterReading, flowmeterAt } from './flowmeter.ts';

export interface SeriesPoint {
  readonly index: number;
  readonly at: number;
  readonly reading: FlowmeterReading;
}

export class FlowSeries {
  private readonly points: SeriesPoint[] = [];
  readonly model: FlowmeterModel;

  constructor(
    private readonly clock: Clock,
    readonly periodMs: number,
    readonly t0: number,
    model: Omit<FlowmeterModel, 't0'> = DEFAULT_FLOWMETER,
  ) {
    this.model = { ...model, t0 };
  }

  /** Every point up to now, oldest first. */
  all(): readonly SeriesPoint[] {
    const now = this.clock.now();
    for (let i = this.points.length; this.t0 + i * this.periodMs <= now; i++) {
      const at = this.t0 + i * this.periodMs;
      this.points.push({ index: i, at, reading: flowmeterAt(this.model, at) });
    }
    return this.points;
  }
}

/** A 24-hex id like a provider's document id, stable for (seed, parts). */
export function stableId(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join(':')).digest('hex').slice(0, 24);
}

/** The first index in `points` with at ≥ t (binary search). */
export function firstAtOrAfter(points: readonly SeriesPoint[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as SeriesPoint).at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
