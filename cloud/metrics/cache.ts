import type { Clock } from '../../protocols/clock.ts';

/**
 * The last answer of an async source, kept `ttlMs` (monotonic) so that Prometheus scraping every
 * few seconds, several metrics per source, and several Prometheus servers cost the database one
 * query set per period. Concurrent callers share the query in flight. A failure is kept for the
 * period too (reported once through `onError`): a database that is down is not asked again on
 * every scrape; its metrics are absent meanwhile.
 */
export class Cached<T> {
  private value: T | undefined;
  private expiresAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<T | undefined> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  get(): Promise<T | undefined> {
    if (this.clock.monotonic() < this.expiresAt) return Promise.resolve(this.value);
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async refresh(): Promise<T | undefined> {
    try {
      this.value = await this.read();
    } catch (err) {
      this.value = undefined;
      this.onError(err);
    }
    this.expiresAt = this.clock.monotonic() + this.ttlMs;
    return this.value;
  }
}
