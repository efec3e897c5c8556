import type { Clock } from '../../protocols/clock.ts';
import type { DgaSimConfigProblem } from './errors.ts';
import type { Random } from './store.ts';

/**
 * What can go wrong between a Centro de Control and DGA, for both REST and SOAP. Switch at run
 * time with DgaSimulator.setFaults().
 *
 * | fault               | effect                                                                          |
 * |---------------------|---------------------------------------------------------------------------------|
 * | `timeoutAfterStore` | a new measurement IS stored, then no answer (or one after the client gave up)   |
 * | `html5xx`           | an HTML 502/503/504 page from a "proxy"; nothing stored                         |
 * | `slowMs`            | every answer waits this long first                                              |
 * | `blockBursts`       | an obra's POST within `windowMs` of its previous ones → HTML "blocked" page     |
 * | `down`              | listeners closed: connections refused                                           |
 * | `oddReceipt`        | a new measurement IS stored and answered as success ("00" / Code 0), but with an |
 * |                     | odd receipt: `dashed` (A1B2-C3D4-E5F6), `no-data` (REST: no `data`), `empty`     |
 */
export interface DgaFaults {
  /** `probability` 0..1 (default 1); `answerAfterMs` 0..3600000 (default: never answer). */
  readonly timeoutAfterStore?: { readonly probability?: number; readonly answerAfterMs?: number };
  /** `probability` 0..1 (default 1); `status` 502, 503 or 504 (default 502). */
  readonly html5xx?: { readonly probability?: number; readonly status?: 502 | 503 | 504 };
  /** Delay before every answer, ms, 0..600000. */
  readonly slowMs?: number;
  /**
   * Res. 2.170 §6.1 asks for backlog sends ≥ 5 minutes apart per obra and §7 says anomalous
   * traffic is blocked by the perimeter. A POST is blocked when the obra already made
   * `maxPerWindow` (default 1) POSTs in the last `windowMs` (default 300000 = 5 min); blocked
   * attempts count too, so a client hammering stays blocked. `status` 403 or 429 (default 403).
   */
  readonly blockBursts?: { readonly windowMs?: number; readonly maxPerWindow?: number; readonly status?: 403 | 429 };
  readonly down?: boolean;
  /**
   * Success answers a client must still take as accepted (issue 14): `form` dashed (default),
   * no-data (REST without `data`; SOAP: an empty receipt) or empty; `probability` 0..1 (default 1).
   */
  readonly oddReceipt?: { readonly probability?: number; readonly form?: OddReceiptForm };
}

export const ODD_RECEIPT_FORMS = ['dashed', 'no-data', 'empty'] as const;
export type OddReceiptForm = (typeof ODD_RECEIPT_FORMS)[number];

export interface FaultDecision {
  /** HTTP status of a "blocked" page, when blocked. */
  readonly blocked: number | undefined;
  /** HTTP status of a proxy error page. */
  readonly proxyError: number | undefined;
  readonly delayMs: number;
  /** When a stored measurement goes unanswered: ms before a late answer, or Infinity for never. */
  readonly holdAfterStoreMs: number | undefined;
  /** When a stored measurement is answered as success with an odd receipt. */
  readonly oddReceipt: OddReceiptForm | undefined;
}

/**
 * Decides the faults of each request. One draw per probabilistic fault on every request, in a
 * fixed order, so a seeded run does not depend on outcomes.
 */
export class FaultGate {
  private faults: DgaFaults;
  private readonly random: Random;
  private readonly clock: Clock;
  /** POST instants (clock.now) per obra within the burst window. */
  private readonly attempts = new Map<string, number[]>();

  constructor(faults: DgaFaults, random: Random, clock: Clock) {
    this.faults = faults;
    this.random = random;
    this.clock = clock;
  }

  get current(): DgaFaults {
    return this.faults;
  }

  set(faults: DgaFaults): void {
    this.faults = faults;
  }

  /** `obra` is the one the request claims (header), undefined when it names none. */
  decide(obra: string | undefined, isPost: boolean): FaultDecision {
    const f = this.faults;
    const hit = (p: number | undefined): boolean => this.random() < (p ?? 1);
    const proxy = f.html5xx !== undefined && hit(f.html5xx.probability);
    const hold = isPost && f.timeoutAfterStore !== undefined && hit(f.timeoutAfterStore.probability);
    const blocked = isPost && obra !== undefined ? this.countBurst(obra) : undefined;
    const odd = isPost && f.oddReceipt !== undefined && hit(f.oddReceipt.probability);
    return {
      blocked,
      proxyError: proxy ? (f.html5xx?.status ?? 502) : undefined,
      delayMs: f.slowMs ?? 0,
      holdAfterStoreMs: hold ? (f.timeoutAfterStore?.answerAfterMs ?? Infinity) : undefined,
      oddReceipt: odd ? (f.oddReceipt?.form ?? 'dashed') : undefined,
    };
  }

  private countBurst(obra: string): number | undefined {
    const rule = this.faults.blockBursts;
    if (rule === undefined) return undefined;
    const now = this.clock.now();
    const windowMs = rule.windowMs ?? 300_000;
    const recent = (this.attempts.get(obra) ?? []).filter((t) => now - t < windowMs);
    const blocked = recent.length >= (rule.maxPerWindow ?? 1);
    recent.push(now);
    this.attempts.set(obra, recent);
    return blocked ? (rule.status ?? 403) : undefined;
  }
}

/** Every problem in a fault configuration, paths relative to `path`. */
export function checkFaults(faults: DgaFaults, path: string): DgaSimConfigProblem[] {
  const problems: DgaSimConfigProblem[] = [];
  const at = (p: string, problem: string): void => void problems.push({ path: `${path}.${p}`, problem });
  const range = (v: unknown, p: string, lo: number, hi: number, optional = true): void => {
    if (v === undefined && optional) return;
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) at(p, `expected a number ${lo}..${hi}`);
  };
  const oneOf = (v: unknown, p: string, allowed: readonly number[]): void => {
    if (v !== undefined && !allowed.includes(v as number)) at(p, `expected one of ${allowed.join(', ')}`);
  };
  const known = new Set(['timeoutAfterStore', 'html5xx', 'slowMs', 'blockBursts', 'down', 'oddReceipt']);
  for (const key of Object.keys(faults)) if (!known.has(key)) at(key, `unknown fault; expected one of ${[...known].join(', ')}`);
  if (faults.timeoutAfterStore !== undefined) {
    range(faults.timeoutAfterStore.probability, 'timeoutAfterStore.probability', 0, 1);
    range(faults.timeoutAfterStore.answerAfterMs, 'timeoutAfterStore.answerAfterMs', 0, 3_600_000);
  }
  if (faults.html5xx !== undefined) {
    range(faults.html5xx.probability, 'html5xx.probability', 0, 1);
    oneOf(faults.html5xx.status, 'html5xx.status', [502, 503, 504]);
  }
  range(faults.slowMs, 'slowMs', 0, 600_000);
  if (faults.blockBursts !== undefined) {
    range(faults.blockBursts.windowMs, 'blockBursts.windowMs', 1, 86_400_000);
    const max = faults.blockBursts.maxPerWindow;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) at('blockBursts.maxPerWindow', 'expected an integer ≥ 1');
    oneOf(faults.blockBursts.status, 'blockBursts.status', [403, 429]);
  }
  if (faults.down !== undefined && typeof faults.down !== 'boolean') at('down', 'expected a boolean');
  if (faults.oddReceipt !== undefined) {
    range(faults.oddReceipt.probability, 'oddReceipt.probability', 0, 1);
    const form = faults.oddReceipt.form;
    if (form !== undefined && !(ODD_RECEIPT_FORMS as readonly string[]).includes(form))
      at('oddReceipt.form', `expected one of ${ODD_RECEIPT_FORMS.join(', ')}`);
  }
  return problems;
}

/** The receipt an odd success answer carries: the real one cut and dashed, or none. */
export function oddReceiptText(receipt: string, form: OddReceiptForm): string {
  return form === 'dashed' ? (receipt.slice(0, 12).match(/.{1,4}/g) ?? []).join('-') : '';
}
