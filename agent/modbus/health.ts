/**
 * Communication health of one device and its back-off: after `failuresBeforeBackoff` polls in a
 * row without an answer, the device is only probed, at a delay that doubles per failed probe up
 * to `maxMs`, so a dead device costs its line one timeout per probe instead of one per interval
 * (docs/field.md#the-serial-lines-ceiling: a dead device with a 1 s timeout can eat a whole bus).
 */
export interface BackoffPolicy {
  readonly failuresBeforeBackoff: number;
  readonly initialMs: number;
  readonly maxMs: number;
}

export type DeviceState = 'unknown' | 'ok' | 'failing' | 'backoff';

export class DeviceHealth {
  state: DeviceState = 'unknown';
  consecutiveFailures = 0;
  polls = 0;
  goodPolls = 0;
  lastLatencyMs: number | null = null;
  lastErrorCode: string | null = null;
  lastOkAt: number | null = null;
  private probeDelay: number;

  constructor(private readonly policy: BackoffPolicy) {
    this.probeDelay = policy.initialMs;
  }

  /** The device answered (values or exception): back to the normal interval. */
  answered(latencyMs: number, now: number): void {
    this.polls++;
    this.goodPolls++;
    this.consecutiveFailures = 0;
    this.lastLatencyMs = latencyMs;
    this.lastOkAt = now;
    this.state = 'ok';
    this.probeDelay = this.policy.initialMs;
  }

  /** No answer at all. Returns the delay before the next attempt if the device is now backed off. */
  failed(code: string): number | null {
    this.polls++;
    this.consecutiveFailures++;
    this.lastErrorCode = code;
    if (this.consecutiveFailures < this.policy.failuresBeforeBackoff) {
      this.state = 'failing';
      return null;
    }
    const wait = this.state === 'backoff' ? Math.min(this.probeDelay * 2, this.policy.maxMs) : this.policy.initialMs;
    this.probeDelay = wait;
    this.state = 'backoff';
    return wait;
  }
}
