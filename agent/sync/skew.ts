/**
 * Signing-time correction for a gateway whose wall clock is wrong (a Pi without RTC before NTP):
 * the relay refuses timestamps outside its skew window ('stale'), so a gateway far off would never
 * upload — exactly when its readings most need the relay's clock. Every answer carries the relay's
 * HTTP Date (1 s resolution); when it differs from the gateway's clock by more than `thresholdMs`,
 * the difference is added to the signed timestamp. The records keep their own ts (flagged
 * clockUnsynced by ClockWatch), which the relay corrects from (bootId, mono).
 */
export class SkewTracker {
  /** Relay clock − gateway clock, ms; 0 while they agree within the threshold. */
  offsetMs = 0;

  constructor(private readonly thresholdMs = 30_000) {}

  observe(serverMs: number, localMs: number): void {
    const offset = serverMs - localMs;
    this.offsetMs = Math.abs(offset) > this.thresholdMs ? offset : 0;
  }
}
