/**
 * The schedule of a pull source (Tago, generic HTTP; issue 17 §3–4): one pull every intervalMs
 * (±10 % jitter, so sources configured alike do not hit a provider in step), each pull fetching
 * pages from the committed cursor until the provider has no more; every page is stored with its
 * cursor in one transaction (sources-store.ts), so a relay killed mid-pull resumes from the last
 * committed page and the message ids absorb what it fetches again. A failed pull is retried after
 * intervalMs, doubling per failure in a row up to backoffMaxMs; the failure, the count and the
 * next try are written to the source's status (GET /v1/sources, the dashboard's Sources tab).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import type { SourceMessage, SourceProblem, SourcesStore } from '../store/sources-types.ts';

export interface PullPage<C> {
  readonly messages: SourceMessage[];
  readonly problems: SourceProblem[];
  /** The cursor once this page is stored. */
  readonly cursor: C;
  /** Whether the provider may hold more after this page. */
  readonly more: boolean;
}

/** What a provider adapter gives the schedule: one page from a committed cursor (text as stored). */
export type FetchPage = (cursor: string | null) => Promise<PullPage<string>>;

export interface PullOutcome {
  readonly pages: number;
  readonly messages: number;
  readonly records: number;
  readonly duplicates: number;
  readonly problems: number;
}

export interface SourcePullerOptions {
  readonly source: string;
  readonly fetchPage: FetchPage;
  readonly store: SourcesStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly backoffMaxMs: number;
  /** Pages one pull fetches at most before it yields to the next interval (default 1000). */
  readonly maxPages?: number;
  /** false: pulls run only when pullNow() is called (tests); default true. */
  readonly schedule?: boolean;
  /** Told after each pull (metrics). */
  readonly onPull?: (outcome: PullOutcome | undefined, err: unknown) => void;
  readonly random?: () => number;
}

export class SourcePuller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PullOutcome> | undefined;
  /** Timers are armed only between start() and stop(); stop() also ends a pull's page loop. */
  private started = false;
  private stopping = false;
  private failures = 0;
  private readonly log: Logger;

  constructor(private readonly o: SourcePullerOptions) {
    this.log = o.logger.child({ component: 'source-pull', source: o.source });
  }

  async start(): Promise<void> {
    this.started = true;
    this.stopping = false;
    // The first pull at once: a restarted relay catches up from its committed cursor.
    this.arm(0);
  }

  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs one pull now (or joins the one running); rejects with the pull's coded error. */
  pullNow(): Promise<PullOutcome> {
    this.running ??= this.pull().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Delay before the next pull after `failures` failures in a row, ms, with ±10 % jitter. */
  delayMs(failures: number): number {
    const base = failures === 0 ? this.o.intervalMs : Math.min(this.o.backoffMaxMs, this.o.intervalMs * 2 ** (failures - 1));
    return Math.round(base * (0.9 + 0.2 * (this.o.random ?? Math.random)()));
  }

  private arm(delay: number): void {
    if (!this.started || this.o.schedule === false) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pullNow().then(
        () => undefined,
        () => undefined,
      );
    }, delay);
  }

  private async pull(): Promise<PullOutcome> {
    const { store, source, clock } = this.o;
    const totals = { pages: 0, messages: 0, records: 0, duplicates: 0, problems: 0 };
    try {
      let cursor = (await store.getSource(source))?.cursor ?? null;
      const maxPages = this.o.maxPages ?? 1000;
      for (let more = true; more && totals.pages < maxPages && !this.stopping; ) {
        const page = await this.o.fetchPage(cursor);
        const stored = await store.ingest({ source, messages: page.messages, cursor: page.cursor, problems: page.problems, now: clock.now() });
        cursor = page.cursor;
        more = page.more && page.messages.length + page.problems.length > 0;
        totals.pages += 1;
        totals.messages += stored.messages;
        totals.records += stored.records;
        totals.duplicates += stored.duplicates;
        totals.problems += page.problems.length;
      }
      this.failures = 0;
      const next = clock.now() + this.delayMs(0);
      await store.scheduled(source, next).catch((err: unknown) => this.log.warn({ err }, 'source status not written'));
      this.log.debug(totals, 'pull done');
      this.o.onPull?.(totals, undefined);
      this.arm(next - clock.now());
      return totals;
    } catch (err) {
      this.failures += 1;
      const delay = this.delayMs(this.failures);
      const code = isAtalayaError(err) ? err.code : 'ERROR';
      const text = `${code}: ${(err as Error).message ?? String(err)}`.slice(0, 300);
      this.log.warn({ code, failures: this.failures, retryInMs: delay, pages: totals.pages }, 'pull failed');
      await store
        .pullFailed(source, text, this.failures, clock.now() + delay, clock.now())
        .catch((e: unknown) => this.log.warn({ err: e }, 'source status not written'));
      this.o.onPull?.(undefined, err);
      this.arm(delay);
      throw err;
    }
  }
}
