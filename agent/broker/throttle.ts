import type { Clock } from '../../protocols/clock.ts';

export interface AuthThrottleOptions {
  /** Wait imposed after the first failure, ms; doubles with each further failure. */
  readonly initialMs: number;
  /** Longest wait, ms; also how long a key stays remembered after its last failure (times two). */
  readonly maxMs: number;
  readonly clock: Clock;
}

interface Backoff {
  failures: number;
  /** clock.monotonic() before which no password check runs for this key. */
  nextAt: number;
  lastFailureAt: number;
}

/** Keys remembered per table; beyond it the least recently failed is forgotten. */
const MAX_KEYS = 10_000;
/** Addresses remembered per user as having logged in. */
const MAX_GOOD_SOURCES = 8;

/**
 * Back-off after wrong passwords (issue 19), per source address and per user. After n failures a
 * key's next password check waits initialMs · 2^(n−1), at most maxMs. Checks that arrive during a
 * wait are spaced by it too (each reserves the next slot), so parallel connections do not buy more
 * scrypt work than sequential ones.
 *
 * The per-user wait does not apply from an address the user logged in from before: a device keeps
 * connecting while its user name is under attack from elsewhere. A success clears the address's
 * back-off; a user's back-off runs out on its own.
 */
export class AuthThrottle {
  private readonly sources = new Map<string, Backoff>();
  private readonly users = new Map<string, Backoff>();
  private readonly goodSources = new Map<string, string[]>();

  constructor(private readonly options: AuthThrottleOptions) {}

  /**
   * How long the check of `user` from `source` must wait, ms (0: now). When that is at most
   * `maxWaitMs` the slot is reserved for the caller, who then waits and checks; a longer wait
   * reserves nothing (the caller refuses), so refused attempts cannot push the slot out forever.
   */
  reserve(source: string, user: string, maxWaitMs: number): number {
    const now = this.options.clock.monotonic();
    const keys: Array<[Map<string, Backoff>, string]> = [[this.sources, source]];
    if (!(this.goodSources.get(user)?.includes(source) ?? false)) keys.push([this.users, user]);
    let at = now;
    for (const [table, key] of keys) {
      const b = table.get(key);
      if (b !== undefined && b.nextAt > at) at = b.nextAt;
    }
    if (at - now > maxWaitMs) return at - now;
    // The slot after this one: one more failure's worth of wait, presuming this check fails too.
    // A user name's first attempts are spaced too (initialMs), so a burst of parallel guesses does
    // not run all its checks before the first has failed. An address without failures reserves
    // nothing: devices behind one address that connect together (a NAT) are not spaced out.
    for (const [table, key] of keys) {
      let b = table.get(key);
      if (b === undefined && table === this.users) {
        b = { failures: 0, nextAt: now, lastFailureAt: Number.NEGATIVE_INFINITY };
        remember(table, key, b);
      }
      if (b !== undefined) b.nextAt = Math.max(b.nextAt, at + this.delay(b.failures));
    }
    return at - now;
  }

  /**
   * Nothing on record against this attempt (ask before reserve()): no failure of the source, and
   * the user either logged in from the source before or has no attempt in progress or failed.
   */
  clean(source: string, user: string): boolean {
    return (this.sources.get(source)?.failures ?? 0) === 0 && ((this.goodSources.get(user)?.includes(source) ?? false) || !this.users.has(user));
  }

  failed(source: string, user: string): void {
    const now = this.options.clock.monotonic();
    for (const [table, key] of [
      [this.sources, source],
      [this.users, user],
    ] as const) {
      let b = table.get(key);
      // A key quiet for twice the longest wait starts over.
      if (b === undefined || now - b.lastFailureAt > 2 * this.options.maxMs) b = { failures: 0, nextAt: now, lastFailureAt: now };
      b.failures++;
      b.lastFailureAt = now;
      b.nextAt = Math.max(b.nextAt, now + this.delay(b.failures));
      remember(table, key, b);
    }
  }

  succeeded(source: string, user: string): void {
    this.sources.delete(source);
    // The spacing entry of a user that never failed: its next login is clean again.
    if (this.users.get(user)?.failures === 0) this.users.delete(user);
    const good = this.goodSources.get(user) ?? [];
    if (!good.includes(source)) {
      good.push(source);
      if (good.length > MAX_GOOD_SOURCES) good.shift();
      this.goodSources.set(user, good);
      if (this.goodSources.size > MAX_KEYS) this.goodSources.delete(this.goodSources.keys().next().value as string);
    }
  }

  private delay(failures: number): number {
    return Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.max(0, failures - 1));
  }
}

/** (Re)inserts as the newest entry; beyond MAX_KEYS the oldest is forgotten. */
function remember(table: Map<string, Backoff>, key: string, b: Backoff): void {
  table.delete(key);
  table.set(key, b);
  if (table.size > MAX_KEYS) table.delete(table.keys().next().value as string);
}

/**
 * At most `limit` tasks at once (password checks: scrypt takes a core each); the others queue.
 * Urgent tasks (CONNECTs with no failure on record: devices) go ahead of the queue and may use one
 * slot beyond `limit`, so a device does not wait for the checks of a storm already running.
 */
export class Semaphore {
  private running = 0;
  private readonly urgent: Array<() => void> = [];
  private readonly normal: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    /** Tasks allowed to queue; run() returns undefined beyond it. */
    private readonly maxQueued: number,
  ) {}

  run<T>(task: () => Promise<T>, urgent = false): Promise<T> | undefined {
    if (this.running < this.cap(urgent)) {
      // Taken now, not in a later microtask: two calls in one tick must not both see a free slot.
      this.running++;
      return this.execute(task);
    }
    if (this.urgent.length + this.normal.length >= this.maxQueued) return undefined;
    // The slot is taken for it by the task that finishes (drain()).
    return new Promise<void>((resolve) => (urgent ? this.urgent : this.normal).push(resolve)).then(() => this.execute(task));
  }

  private cap(urgent: boolean): number {
    return urgent ? this.limit + 1 : this.limit;
  }

  private async execute<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      this.running--;
      this.drain();
    }
  }

  private drain(): void {
    for (;;) {
      const queue = this.urgent.length > 0 ? this.urgent : this.normal;
      if (queue.length === 0 || this.running >= this.cap(queue === this.urgent)) return;
      this.running++;
      (queue.shift() as () => void)();
    }
  }
}
