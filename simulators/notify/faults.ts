/**
 * Faults of the HTTP doubles (SMS provider, Telegram, webhook receiver), like the DGA double's:
 * one kind, drawn with a probability from a seedable source so a bench run can be repeated.
 */
export type NotifyFaultKind = '5xx' | '429' | 'auth';
export const NOTIFY_FAULT_KINDS: readonly NotifyFaultKind[] = ['5xx', '429', 'auth'];

export interface NotifyFaults {
  readonly kind: NotifyFaultKind;
  /** 0..1, default 1. */
  readonly rate?: number;
  /** Retry-After sent with 429, seconds (default 2). */
  readonly retryAfterS?: number;
}

export class FaultGate {
  constructor(
    private readonly faults: NotifyFaults | undefined,
    private readonly random: () => number,
  ) {}

  /** The fault to answer this request with, if any (one draw per request, in order). */
  draw(): NotifyFaults | undefined {
    if (this.faults === undefined) return undefined;
    const r = this.random();
    return r < (this.faults.rate ?? 1) ? this.faults : undefined;
  }
}
