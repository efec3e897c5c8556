import { performance } from 'node:perf_hooks';

/**
 * The silence a master keeps on a serial line between the end of one frame and the start of the
 * next: t3.5 (Modbus over Serial Line v1.02 §2.5.1.1; docs/modbus.md#silent-intervals-and-wire-time).
 * It is counted from the last byte read from the line (heard(), which is no earlier than that
 * byte crossed the wire), or from the end of a transaction that heard nothing, and only the part
 * not already spent (decoding, the next poll's set-up) is waited: back-to-back polls lose nothing
 * beyond what the spec asks, and a poll that comes later than t3.5 after the last one does not
 * wait at all. Any byte restarts the silence, a late answer's included.
 *
 * setTimeout fires on whole milliseconds and often late, which at 19200 baud (t3.5 = 2.005 ms)
 * would cost up to half a character time per ms. So the timer sleeps for all but the last
 * `spinMs`, and the rest is waited on setImmediate, which yields to I/O between checks.
 */
export class LineSilence {
  private endedAt = Number.NEGATIVE_INFINITY;

  /**
   * `silenceMs`: t3.5 of the line plus any extra delay the slaves need, ms (0 = none).
   * `now`: a sub-millisecond monotonic clock, ms (performance.now; injected for tests).
   */
  constructor(
    readonly silenceMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly spinMs = 1,
  ) {}

  /** Bytes were just read from the line: the silence restarts now. */
  heard(): void {
    this.endedAt = this.now();
  }

  /** Now, on the same clock, to pass to ended(). */
  mark(): number {
    return this.now();
  }

  /** A transaction begun at `startedAt` (mark()) is over; if it heard nothing, the silence starts now. */
  ended(startedAt: number): void {
    if (this.endedAt < startedAt) this.endedAt = this.now();
  }

  /** Resolves once `silenceMs` have passed since the line went quiet; at once if they already have. */
  async wait(): Promise<void> {
    const coarse = Math.floor(this.endedAt + this.silenceMs - this.now() - this.spinMs);
    if (coarse >= 1) await new Promise((resolve) => setTimeout(resolve, coarse));
    // Re-read endedAt on every turn: a byte heard meanwhile (a late answer) restarts the silence.
    while (this.now() < this.endedAt + this.silenceMs) await new Promise((resolve) => setImmediate(resolve));
  }
}
