import type { Clock } from '../../protocols/clock.ts';
import type { Failure, ObraKind, Transport } from './types.ts';

/**
 * What became of a request:
 * - `accepted`: stored, answered with a receipt; `stored-unanswered`: stored, answer withheld
 *   or late (timeoutAfterStore fault)
 * - `duplicate`, `refused` (see `failure`), `blocked` (burst), `proxy-error` (HTML 5xx)
 * - `found` / `not-found`: receipt checks (REST GET, SOAP getDataExtraccionOp)
 */
export type RequestOutcome = 'accepted' | 'stored-unanswered' | 'duplicate' | 'refused' | 'blocked' | 'proxy-error' | 'found' | 'not-found';

export interface RequestLogEntry {
  /** 1, 2, … in arrival order. */
  readonly seq: number;
  /** Injected clock, ms since epoch. */
  readonly at: number;
  readonly transport: Transport;
  /** REST: GET/POST and the path; SOAP: the operation. */
  readonly method: string;
  readonly path: string;
  readonly obra: string | undefined;
  readonly kind: ObraKind | undefined;
  readonly outcome: RequestOutcome;
  readonly failure: Failure | 'structure' | undefined;
  readonly httpStatus: number | undefined;
  /** REST `status` or SOAP `Code` of the answer, when there is one. */
  readonly status: string | undefined;
  readonly message: string | undefined;
  /** The new receipt, the duplicate's original, or the one checked. */
  readonly receipt: string | undefined;
  readonly fechaMedicion: string | undefined;
  readonly horaMedicion: string | undefined;
}

export type RequestLogInput = Partial<Omit<RequestLogEntry, 'seq' | 'at' | 'transport' | 'method' | 'path' | 'outcome'>> &
  Pick<RequestLogEntry, 'transport' | 'method' | 'path' | 'outcome'>;

/** Every request with its outcome, passwords never included. Bounded: oldest dropped first. */
export class RequestLog {
  private readonly entries: RequestLogEntry[] = [];
  private seq = 0;
  private readonly clock: Clock;
  private readonly onEntry: ((e: RequestLogEntry) => void) | undefined;
  private readonly max: number;

  /** `onEntry` sees each entry as it is added (a log line); `max` entries are kept (default 10000). */
  constructor(clock: Clock, onEntry?: (e: RequestLogEntry) => void, max = 10_000) {
    this.clock = clock;
    this.onEntry = onEntry;
    this.max = max;
  }

  add(e: RequestLogInput): RequestLogEntry {
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      at: this.clock.now(),
      obra: undefined,
      kind: undefined,
      failure: undefined,
      httpStatus: undefined,
      status: undefined,
      message: undefined,
      receipt: undefined,
      fechaMedicion: undefined,
      horaMedicion: undefined,
      ...e,
    };
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.shift();
    this.onEntry?.(entry);
    return entry;
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }
}
