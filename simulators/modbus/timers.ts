/**
 * Delays the servers schedule (slow answers, wire time), tracked so stop() can cancel them all:
 * a stopped server must not keep the process alive nor write to a closed port.
 */
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

  cancelAll(): void {
    for (const [timer, resolve] of this.pending) {
      clearTimeout(timer);
      resolve(false);
    }
    this.pending.clear();
  }
}
