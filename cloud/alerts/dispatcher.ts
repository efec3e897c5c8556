/**
 * Sends the outbox: per configured channel kind, `sendConcurrency` workers each claim one due
 * message (a lease in the database), send it, and record the outcome. One channel's failures or
 * slowness never hold the others back: each kind has its own workers. A failure is queued again
 * after min(max, base × 2^(attempt−1)) (or the receiver's Retry-After), until maxAttempts or
 * maxAgeHours, then given up; every step lands in the delivery log.
 */
import type { Logger } from 'pino';
import type { Channel, ChannelKind, DeliveryOutcome, Notification } from '../../platform/notify/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { AlertsStore, OutboxMessage } from '../store/alerts-types.ts';
import type { AlertsConfig } from './config.ts';
import { ALERTS_CHANNEL_THREW } from './errors.ts';

export interface DispatcherDeps {
  readonly config: AlertsConfig;
  readonly store: AlertsStore;
  readonly channels: ReadonlyMap<ChannelKind, Channel>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instance: string;
  /** How long an idle worker waits before looking again, ms (a wake() cuts it short). */
  readonly pollMs: number;
  readonly onOutcome?: (channel: string, outcome: 'sent' | 'failed' | 'given_up') => void;
}

export class Dispatcher {
  private running = false;
  private workers: Array<Promise<void>> = [];
  private sleepers = new Set<() => void>();
  private readonly logger: Logger;

  constructor(private readonly deps: DispatcherDeps) {
    this.logger = deps.logger.child({ component: 'alerts-dispatch' });
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    for (const kind of this.deps.channels.keys()) {
      for (let i = 0; i < this.deps.config.sendConcurrency; i += 1) this.workers.push(this.work(kind));
    }
    return Promise.resolve();
  }

  /** Lets messages in flight finish (each within its channel's timeout), then returns. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers);
  }

  /** New messages are queued: idle workers look now. */
  wake(): void {
    for (const s of this.sleepers) s();
    this.sleepers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private async work(kind: ChannelKind): Promise<void> {
    while (this.running) {
      let sent = false;
      try {
        sent = await this.sendOne(kind);
      } catch (err) {
        this.logger.error({ err, channel: kind }, 'outbox pass failed; retrying after the poll interval');
      }
      if (!sent && this.running) await this.sleep(this.deps.pollMs);
    }
  }

  /** Claims and sends one due message of `kind`; false when none was due. */
  async sendOne(kind: ChannelKind): Promise<boolean> {
    const { store, config, clock, instance } = this.deps;
    const channel = this.deps.channels.get(kind);
    if (channel === undefined) return false;
    const m = await store.claim(kind, clock.now(), config.leaseMs, instance);
    if (m === undefined) return false;
    const outcome = await this.attempt(channel, m);
    const now = clock.now();
    if (outcome.ok) {
      await store.finish({ id: m.id, leasedBy: instance, now, outcome: 'sent', attempt: m.attempts, providerId: outcome.providerId ?? null }, instance);
      this.deps.onOutcome?.(kind, 'sent');
      return true;
    }
    const tooOld = now - m.createdAt >= config.maxAgeHours * 3_600_000;
    const giveUp = !outcome.retryable || m.attempts >= config.maxAttempts || tooOld;
    const backoff = Math.min(config.backoffMs.max, config.backoffMs.base * 2 ** (m.attempts - 1));
    const nextAttemptAt = now + Math.max(backoff, outcome.retryAfterMs ?? 0);
    const applied = await store.finish(
      {
        id: m.id,
        leasedBy: instance,
        now,
        outcome: giveUp ? 'given_up' : 'failed',
        attempt: m.attempts,
        code: outcome.code,
        detail: outcome.detail.slice(0, 500),
        nextAttemptAt,
      },
      instance,
    );
    this.deps.onOutcome?.(kind, giveUp ? 'given_up' : 'failed');
    const log = { channel: kind, key: m.key, alert: m.alertId, attempt: m.attempts, code: outcome.code, detail: outcome.detail, applied };
    if (giveUp) this.logger.error(log, 'alert message given up');
    else this.logger.warn({ ...log, nextAttemptAt }, 'alert message failed; will retry');
    return true;
  }

  private async attempt(channel: Channel, m: OutboxMessage): Promise<DeliveryOutcome> {
    try {
      return await channel.send(m.address, JSON.parse(m.payload) as Notification);
    } catch (err) {
      return { ok: false, retryable: true, code: ALERTS_CHANNEL_THREW, detail: (err as { code?: string }).code ?? 'channel threw' };
    }
  }
}
