/**
 * Delays the servers schedule (slow answers, wire time), tracked so stop() can cancel them all:
 * a stopped server must not keep the process alive nor write to a closed port.
 */
import { performance } from 'node:perf_hooks';

export class Timers {
  private readonly pending = new Map<NodeJS.Timeout, (fired: boolean) => void>();

  /** Resolves true after `ms`, or false if cancelAll() runs first. */
  wait(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve(true);
      }, ms);
      this.pending.set(timer, resolve);
    });
  }

  /**
   * Resolves true when performance.now() reaches `deadline`, to a fraction of a millisecond:
   * setTimeout alone fires up to a few ms late, which would understate a wire-time benchmark. The
   * timer wakes ~2 ms early and the rest is spun on setImmediate.
   */
  async waitUntil(deadline: number): Promise<boolean> {
    const coarse = deadline - performance.now() - 2;
    if (coarse > 0 && !(await this.wait(coarse))) return false;
    while (performance.now() < deadline) {
      if (this.cancelled) return false;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return !this.cancelled;
  }

  private cancelled = false;

  /** Undo cancelAll() for a server that starts again. */
  reset(): void {
    this.cancelled = false;
  }

  cancelAll(): void {
    this.cancelled = true;
    for (const [timer, resolve] of this.pending) {
      clearTimeout(timer);
      resolve(false);
    }
    this.pending.clear();
  }
}
