import type { Logger } from 'pino';
import { Agent, type Dispatcher } from 'undici';
import type { Clock } from '../../protocols/clock.ts';
import { encodePoll } from '../../protocols/fleet/codec.ts';
import { partInvalid } from '../../protocols/fleet/errors.ts';
import type { HealthReport } from '../../protocols/fleet/health.ts';
import { FLEET_POLL_PATH, FLEET_VERSION, type FleetAnswer, PART_NAME } from '../../protocols/fleet/types.ts';
import { newNonce, SIGNATURE_HEADERS, signRequest } from '../../protocols/sync/signature.ts';
import type { FleetPart } from './part.ts';
import { type PollFailure, type PollOutcome, postPoll } from './transport.ts';

export interface FleetClientOptions {
  /** The relay base URL (sync.url); may carry a path prefix. */
  readonly url: string;
  readonly gatewayId: string;
  /** Raw gateway secret bytes; signs polls and checks answers, never logged. */
  readonly secret: Uint8Array;
  /** Longest time between polls, ms (fleet.intervalMs). */
  readonly intervalMs: number;
  /** Longest time between two full health reports, ms (fleet.healthIntervalMs); default: every poll. */
  readonly healthIntervalMs?: number;
  /** When it changes, the health report goes with the next poll whatever healthIntervalMs says; default: never. */
  readonly healthKey?: (report: HealthReport) => string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The health report of this poll; undefined sends none. */
  readonly health?: () => Promise<HealthReport | undefined> | HealthReport | undefined;
  /** Relay clock − gateway clock, ms, added to the signed timestamp (the sync client's SkewTracker); default 0. */
  readonly skewMs?: () => number;
  /**
   * The HTTP client: the agent passes sync's, so a gateway holds one keep-alive connection to the
   * relay, not two (gateways behind one carrier NAT share the relay's per-address limit). Default:
   * an undici Agent owned and closed by this client.
   */
  readonly dispatcher?: Dispatcher;
  /** Jitter source, [0, 1): each interval is 0.9..1.1 × intervalMs, so a fleet does not poll in step. */
  readonly random?: () => number;
}

export interface FleetStatus {
  /** Gateway wall clock of the last verified answer, ms; null before the first. */
  readonly lastAnswerAt: number | null;
  readonly lastError: PollFailure | null;
  readonly polls: number;
  readonly failures: number;
  /** Answers discarded because they were unsigned, mis-signed or signed for another nonce. */
  readonly rejectedAnswers: number;
  /** Request body bytes (gzip) of every poll sent. */
  readonly sentBytes: number;
}

/**
 * The gateway's side of the fleet channel (agent/fleet/README.md): one poll in flight at a time,
 * every intervalMs (with ±10 % jitter) and early when a sync has just talked to the relay. A
 * relay that cannot be reached is simply tried again at the next interval: nothing queues, so
 * memory stays flat however long the link is down, and sync never waits for a poll.
 */
export class FleetClient {
  private readonly o: FleetClientOptions;
  private readonly log: Logger;
  private readonly endpoint: URL;
  private readonly parts = new Map<string, FleetPart>();
  private readonly random: () => number;
  private phase: 'new' | 'running' | 'stopped' = 'new';
  private dispatcher: Dispatcher | undefined;
  private ownsDispatcher = false;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  private inFlight: Promise<void> | undefined;
  private lastAnswerAt: number | null = null;
  private lastError: PollFailure | null = null;
  private loggedFailure: PollFailure | null = null;
  private polls = 0;
  private failures = 0;
  private rejectedAnswers = 0;
  private sentBytes = 0;
  /** Monotonic ms and change key of the last health report the relay answered; undefined before one. */
  private healthSent: { readonly at: number; readonly key: string | undefined } | undefined;

  constructor(options: FleetClientOptions) {
    this.o = options;
    this.log = options.logger.child({ component: 'fleet' });
    this.endpoint = new URL(options.url.replace(/\/+$/, '') + FLEET_POLL_PATH);
    this.random = options.random ?? Math.random;
  }

  /** Adds a part (composition root, before start()); throws ATALAYA_FLEET_PART_INVALID for a bad or taken name. */
  register(part: FleetPart): void {
    if (!PART_NAME.test(part.name) || this.parts.has(part.name)) throw partInvalid(part.name);
    this.parts.set(part.name, part);
  }

  /** Polls at once, then every interval. */
  start(): void {
    if (this.phase !== 'new') return;
    this.phase = 'running';
    this.dispatcher = this.o.dispatcher ?? new Agent();
    this.ownsDispatcher = this.o.dispatcher === undefined;
    this.log.info({ url: this.endpoint.origin, intervalMs: this.o.intervalMs, parts: [...this.parts.keys()] }, 'fleet polling started');
    this.schedule(0);
  }

  /** Aborts a poll in flight and waits for it; idempotent. */
  async stop(): Promise<void> {
    if (this.phase !== 'running') {
      this.phase = 'stopped';
      return;
    }
    this.phase = 'stopped';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.inFlight;
    if (this.ownsDispatcher) await this.dispatcher?.close().catch((err: unknown) => this.log.warn({ err }, 'closing the HTTP client failed'));
    this.dispatcher = undefined;
    this.log.info({ polls: this.polls, failures: this.failures }, 'fleet polling stopped');
  }

  /**
   * A sync request just reached the relay (the radio is up): a poll due within half an interval
   * goes now rather than waking the link again later.
   */
  nudge(): void {
    if (this.phase !== 'running' || this.inFlight !== undefined) return;
    if (this.nextAt - this.o.clock.monotonic() <= this.o.intervalMs / 2) this.schedule(0);
  }

  /** Polls now (a test, a part that must tell the relay at once); resolves when the poll is done. */
  pollNow(): Promise<void> {
    if (this.phase !== 'running') return Promise.resolve();
    if (this.inFlight === undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.inFlight = this.poll().finally(() => {
        this.inFlight = undefined;
        if (this.phase === 'running') this.schedule(this.o.intervalMs * (0.9 + 0.2 * this.random()));
      });
    }
    return this.inFlight;
  }

  status(): FleetStatus {
    return {
      lastAnswerAt: this.lastAnswerAt,
      lastError: this.lastError,
      polls: this.polls,
      failures: this.failures,
      rejectedAnswers: this.rejectedAnswers,
      sentBytes: this.sentBytes,
    };
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.nextAt = this.o.clock.monotonic() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollNow();
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const dispatcher = this.dispatcher;
    if (dispatcher === undefined) return;
    const { clock, gatewayId, secret } = this.o;
    const health = await this.health();
    let body: Buffer;
    try {
      body = encodePoll({ v: FLEET_VERSION, ...(health === undefined ? {} : { health: health.report }), parts: await this.reports() });
    } catch (err) {
      // A part's report that JSON cannot encode (a bigint, a cycle): nothing is sent this time.
      this.log.error({ err }, 'fleet poll could not be encoded');
      return;
    }
    const timestamp = clock.now() + (this.o.skewMs?.() ?? 0);
    const nonce = newNonce();
    const signature = signRequest({ method: 'POST', path: FLEET_POLL_PATH, timestamp, nonce, body, secret });
    const headers = {
      'content-type': 'application/octet-stream',
      [SIGNATURE_HEADERS.gateway]: gatewayId,
      [SIGNATURE_HEADERS.timestamp]: String(timestamp),
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: signature,
    };
    this.polls++;
    this.sentBytes += body.length;
    const outcome = await postPoll({
      dispatcher,
      url: this.endpoint.href,
      path: FLEET_POLL_PATH,
      headers,
      body,
      nonce,
      secret,
      timeoutMs: this.o.timeoutMs,
      signal: this.abort.signal,
    });
    if (outcome.ok) {
      // Only a report the relay answered counts as delivered: after a failure the next poll carries one.
      if (health !== undefined) this.healthSent = { at: clock.monotonic(), key: health.key };
      await this.answered(outcome.answer);
    } else this.failed(outcome);
  }

  /**
   * The health report when one is due (issue 16's byte budget: HTTP headers alone cost ~600 B a
   * poll, so a full report every poll would not fit 50 KB an idle hour): with the first poll,
   * every healthIntervalMs, and as soon as its change key differs from the last one delivered.
   */
  private async health(): Promise<{ report: HealthReport; key: string | undefined } | undefined> {
    let report: HealthReport | undefined;
    try {
      report = await this.o.health?.();
    } catch (err) {
      this.log.warn({ err }, 'health report failed: poll sent without it');
      return undefined;
    }
    if (report === undefined) return undefined;
    const key = this.o.healthKey?.(report);
    const last = this.healthSent;
    const due = last === undefined || this.o.clock.monotonic() - last.at >= (this.o.healthIntervalMs ?? 0) || key !== last.key;
    return due ? { report, key } : undefined;
  }

  private async reports(): Promise<Record<string, unknown>> {
    const reports: Record<string, unknown> = {};
    for (const [name, part] of this.parts) {
      try {
        const report = await part.report();
        if (report !== undefined) reports[name] = report;
      } catch (err) {
        this.log.error({ err, part: name }, 'fleet part failed to report: left out of this poll');
      }
    }
    return reports;
  }

  private async answered(answer: FleetAnswer): Promise<void> {
    if (this.lastError !== null) this.log.info({ failures: this.failures, lastError: this.lastError }, 'relay answering fleet polls again');
    this.lastAnswerAt = this.o.clock.now();
    this.lastError = null;
    this.loggedFailure = null;
    for (const [name, part] of this.parts) {
      if (!Object.hasOwn(answer.parts, name) || this.phase !== 'running') continue;
      try {
        await part.apply(answer.parts[name]);
      } catch (err) {
        this.log.error({ err, part: name }, 'fleet part failed to apply the relay answer');
      }
    }
  }

  private failed(outcome: Extract<PollOutcome, { ok: false }>): void {
    if (outcome.failure === 'aborted') return;
    this.failures++;
    if (outcome.failure === 'unsigned') this.rejectedAnswers++;
    this.lastError = outcome.failure;
    const context = { failure: outcome.failure, status: outcome.status, err: outcome.cause, rejectedAnswers: this.rejectedAnswers };
    // Once per change of failure: a relay down for days must not fill the SD card with logs.
    if (outcome.failure !== this.loggedFailure) {
      if (outcome.failure === 'unsigned') this.log.error(context, 'fleet answer without a valid relay signature for this poll: discarded');
      else this.log.warn(context, 'fleet poll failed; trying again at the next interval');
      this.loggedFailure = outcome.failure;
    } else this.log.debug(context, 'fleet poll failed again');
  }
}
