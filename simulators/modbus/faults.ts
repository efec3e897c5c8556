import type { SimConfigProblem } from './errors.ts';

/**
 * Communication faults a simulated device can inject, combinable with any scenario. Each is
 * decided per request from an injected random source, so a seeded run is reproducible.
 *
 * | fault       | effect                                                                 |
 * |-------------|------------------------------------------------------------------------|
 * | `exception` | answers exception `code` (e.g. 02, 04, 06) instead of the data          |
 * | `slow`      | answers after `delayMs` more milliseconds                               |
 * | `drop`      | no answer at all (the master times out)                                 |
 * | `badCrc`    | corrupts the CRC of the RTU answer (TCP has no CRC: ignored there)      |
 */
export interface FaultOptions {
  /**
   * `probability` 0..1 (default 1) per request while inside the window; `fromS`/`toS` seconds
   * since the simulator started (default: always).
   */
  readonly exception?: { readonly code: number; readonly probability?: number; readonly fromS?: number; readonly toS?: number };
  /** `delayMs` 0..60000, `probability` 0..1 (default 1). */
  readonly slow?: { readonly delayMs: number; readonly probability?: number };
  readonly drop?: { readonly probability: number };
  readonly badCrc?: { readonly probability: number };
}

/** Uniform in [0, 1), like Math.random. */
export type Random = () => number;

/** mulberry32: small, fast, good enough to make fault runs reproducible from a seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultDecision {
  readonly drop: boolean;
  readonly exception: number | undefined;
  readonly delayMs: number;
  readonly corruptCrc: boolean;
}

const NONE: FaultDecision = { drop: false, exception: undefined, delayMs: 0, corruptCrc: false };

export class FaultInjector {
  private readonly options: FaultOptions | undefined;
  private readonly random: Random;

  constructor(options: FaultOptions | undefined, random: Random) {
    this.options = options;
    this.random = random;
  }

  /**
   * What to do with the next request, `elapsedS` seconds after start. One draw per configured
   * fault on every request, in a fixed order, so a seeded sequence does not depend on outcomes.
   */
  decide(elapsedS: number): FaultDecision {
    const o = this.options;
    if (o === undefined) return NONE;
    const hit = (p: number | undefined): boolean => this.random() < (p ?? 1);
    const dropped = o.drop !== undefined && hit(o.drop.probability);
    const ex = o.exception;
    const inWindow = ex !== undefined && elapsedS >= (ex.fromS ?? 0) && elapsedS < (ex.toS ?? Infinity);
    const excepted = ex !== undefined && hit(ex.probability) && inWindow;
    const slowed = o.slow !== undefined && hit(o.slow.probability);
    const corrupt = o.badCrc !== undefined && hit(o.badCrc.probability);
    return {
      drop: dropped,
      exception: excepted ? ex.code : undefined,
      delayMs: slowed ? o.slow!.delayMs : 0,
      corruptCrc: corrupt,
    };
  }
}

/** Every problem in a fault configuration, paths relative to `path`. */
export function checkFaults(faults: FaultOptions, path: string): SimConfigProblem[] {
  const problems: SimConfigProblem[] = [];
  const probability = (p: unknown, at: string, optional: boolean): void => {
    if (p === undefined && optional) return;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) problems.push({ path: `${path}.${at}`, problem: 'expected a probability 0..1' });
  };
  const known = new Set(['exception', 'slow', 'drop', 'badCrc']);
  for (const key of Object.keys(faults)) {
    if (!known.has(key)) problems.push({ path: `${path}.${key}`, problem: `unknown fault; expected one of ${[...known].join(', ')}` });
  }
  if (faults.exception !== undefined) {
    const { code, fromS, toS } = faults.exception;
    if (!Number.isInteger(code) || code < 1 || code > 255) problems.push({ path: `${path}.exception.code`, problem: 'expected an exception code 1..255' });
    probability(faults.exception.probability, 'exception.probability', true);
    if (fromS !== undefined && toS !== undefined && !(toS > fromS)) problems.push({ path: `${path}.exception.toS`, problem: 'must be after fromS' });
  }
  if (faults.slow !== undefined) {
    const d = faults.slow.delayMs;
    if (typeof d !== 'number' || !(d >= 0 && d <= 60_000)) problems.push({ path: `${path}.slow.delayMs`, problem: 'expected 0..60000 ms' });
    probability(faults.slow.probability, 'slow.probability', true);
  }
  if (faults.drop !== undefined) probability(faults.drop.probability, 'drop.probability', false);
  if (faults.badCrc !== undefined) probability(faults.badCrc.probability, 'badCrc.probability', false);
  return problems;
}
