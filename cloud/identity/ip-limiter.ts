/**
 * Sign-in attempts per source address (issue 15 §3): a fixed window per address, kept in memory
 * (one relay's view; the per-user lockout is in the database and holds across relays). Addresses
 * whose window ended are dropped as they are met, and the map never holds more than `maxAddresses`.
 */
import type { Clock } from '../../protocols/clock.ts';

const MAX_ADDRESSES = 10_000;

export class IpLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly attempts: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one attempt from `ip`: 0 when allowed, else the seconds until the window ends. */
  take(ip: string): number {
    const now = this.clock.now();
    let w = this.windows.get(ip);
    if (w === undefined || now - w.start >= this.windowMs) {
      if (w === undefined && this.windows.size >= MAX_ADDRESSES) this.prune(now);
      w = { start: now, count: 0 };
      this.windows.set(ip, w);
    }
    w.count += 1;
    return w.count > this.attempts ? Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000)) : 0;
  }

  private prune(now: number): void {
    for (const [ip, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(ip);
    // Still full (an address flood): forget the oldest; the per-user lockout still holds.
    if (this.windows.size >= MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value as string);
  }
}
