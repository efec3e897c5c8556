import { performance } from 'node:perf_hooks';

/**
 * The silence a master keeps on a serial line between the end of one frame and the start of the
 * next: t3.5 (Modbus over Serial Line v1.02 §2.5.1.1; docs/modbus.md#silent-intervals-and-wire-time).
 * It is counted from when the previous transaction ended here, which is no earlier than its last
 * byte crossed the wire, and only the part not already spent (decoding, the next poll's set-up)
 * is waited: back-to-back polls lose nothing beyond what the spec asks, and a poll that comes
 * later than t3.5 after the last one does not wait at all.
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

  /** The previous frame exchange is over: the silence starts now. */
  markEnd(): void {
    this.endedAt = this.now();
  }

  /** Resolves once `silenceMs` have passed since markEnd(); at once if they already have. */
  async wait(): Promise<void> {
    const until = this.endedAt + this.silenceMs;
    const coarse = Math.floor(until - this.now() - this.spinMs);
    if (coarse >= 1) await new Promise((resolve) => setTimeout(resolve, coarse));
    while (this.now() < until) await new Promise((resolve) => setImmediate(resolve));
  }
}
