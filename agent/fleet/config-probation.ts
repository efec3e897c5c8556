/**
 * Probation of a config the relay sent (issue 16 §2): within `probationMs` of installing it, the
 * agent must poll at least one device successfully (when it has devices) and reach the relay (a
 * sync acknowledged or a fleet answer verified, when sync is on). Both seen: the config is
 * confirmed. The deadline passed without them: the supervisor rolls back, with this reason.
 */
import type { Clock } from '../../protocols/clock.ts';

export interface ProbationSignals {
  /** Devices configured for polling (none: nothing to prove). */
  readonly devices: number;
  /** Latest successful device poll, wall clock ms, null for none. */
  lastDeviceOkAt(): number | null;
  /** Whether this config talks to a relay at all (sync enabled). */
  readonly relay: boolean;
  /** Latest sign of the relay: a sync ack or a verified fleet answer, wall clock ms. */
  lastRelayAt(): number | null;
}

export type ProbationVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string } | undefined;

/** Undefined while undecided. */
export function judge(signals: ProbationSignals, since: number, probationMs: number, now: number): ProbationVerdict {
  const devicesOk = signals.devices === 0 || (signals.lastDeviceOkAt() ?? -Infinity) >= since;
  const relayOk = !signals.relay || (signals.lastRelayAt() ?? -Infinity) >= since;
  if (devicesOk && relayOk) return { ok: true };
  if (now < since + probationMs) return undefined;
  const missing = [...(devicesOk ? [] : [`no device answered (${signals.devices} configured)`]), ...(relayOk ? [] : ['the relay was not reached'])];
  return { ok: false, reason: `${missing.join(' and ')} within ${Math.round(probationMs / 1000)} s of applying it` };
}

export class Probation {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      readonly signals: ProbationSignals;
      readonly since: number;
      readonly probationMs: number;
      readonly clock: Clock;
      readonly checkEveryMs?: number;
      readonly onVerdict: (verdict: { ok: true } | { ok: false; reason: string }) => void;
    },
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    const every = this.o.checkEveryMs ?? Math.min(1000, Math.max(50, this.o.probationMs / 20));
    this.timer = setInterval(() => {
      const verdict = judge(this.o.signals, this.o.since, this.o.probationMs, this.o.clock.now());
      if (verdict === undefined) return;
      this.stop();
      this.o.onVerdict(verdict);
    }, every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
