/**
 * The relay's alerts under one lifecycle: the engine's pass on a timer (under a session lock on
 * PostgreSQL, so one relay at a time detects; any relay sends), the dispatcher's workers, and
 * what the HTTP API and the CLI ask (list, one alert with its deliveries, ack, test message).
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Channel, ChannelKind } from '../../platform/notify/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { Alert, AlertState, AlertsStore, Delivery, OutboxMessage } from '../store/alerts-types.ts';
import type { SqlExecutor } from '../store/sql-executor.ts';
import type { IngestInput, RelayStore } from '../store/types.ts';
import { type AckClaim, ackKey, verifyAck } from './ack-token.ts';
import type { AlertsConfig } from './config.ts';
import { DeviceFaultTracker } from './device-faults.ts';
import { Dispatcher } from './dispatcher.ts';
import { AlertEngine, type PagedLocally } from './engine.ts';
import { ALERTS_UNKNOWN_TARGET, AlertsError } from './errors.ts';
import { alertMessage } from './messages.ts';
import { groupTargets, type Target } from './rules.ts';
import type { StatusSources } from './status.ts';

/** Key of the session lock the engine's pass runs under ('alrtpass' in ASCII). */
export const ALERTS_PASS_LOCK_KEY = 0x61_6c_72_74_70_61_73_73n;

export interface AlertServiceDeps {
  readonly config: AlertsConfig;
  readonly store: AlertsStore;
  readonly records: RelayStore;
  readonly executor: Pick<SqlExecutor, 'withSessionLock'>;
  readonly channels: ReadonlyMap<ChannelKind, Channel>;
  readonly relayKey: Buffer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** false: passes run only when called (tests); default: every config.tickMs. */
  readonly schedule?: boolean;
  readonly instance?: string;
  readonly pagedLocally?: PagedLocally;
  readonly status?: StatusSources;
  readonly onOutcome?: (channel: string, outcome: 'sent' | 'failed' | 'given_up') => void;
}

export interface AlertView extends Alert {
  /** Messages per outbox state (queued, sent, given_up, held, …). */
  readonly deliveries: Record<string, number>;
}

export class AlertService {
  readonly engine: AlertEngine;
  readonly dispatcher: Dispatcher;
  /** Ingest hands it each committed batch (observeIngest): device-fault states. */
  readonly faults: DeviceFaultTracker;
  private readonly key: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private readonly logger: Logger;
  private stopped = true;
  private again = false;

  constructor(private readonly deps: AlertServiceDeps) {
    const instance = deps.instance ?? `${hostname()}:${process.pid}`;
    this.key = ackKey(deps.relayKey);
    this.logger = deps.logger.child({ component: 'alerts' });
    this.dispatcher = new Dispatcher({
      config: deps.config,
      store: deps.store,
      channels: deps.channels,
      clock: deps.clock,
      logger: deps.logger,
      instance,
      pollMs: Math.max(50, Math.min(deps.config.tickMs, 1000)),
      onOutcome: deps.onOutcome,
    });
    this.faults = new DeviceFaultTracker(deps.store, this.logger);
    this.engine = new AlertEngine({
      config: deps.config,
      store: deps.store,
      records: deps.records,
      ackKey: this.key,
      clock: deps.clock,
      logger: deps.logger,
      instance,
      pagedLocally: deps.pagedLocally,
      status: deps.status,
      onQueued: () => this.dispatcher.wake(),
      faults: this.faults,
    });
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.deps.config.deviceFaultAfterMinutes > 0) await this.faults.refresh();
    await this.dispatcher.start();
    if (this.deps.schedule !== false) this.arm(0);
  }

  /** Stops the timer, waits for a pass under way, then the dispatcher's sends in flight. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.passing?.catch(() => undefined);
    await this.dispatcher.stop();
  }

  /**
   * A batch ingest has committed: its device-fault state changes are written (device-faults.ts).
   * Cheap: one comparison per reading while no channel is bad. Never throws.
   */
  observeIngest(input: Pick<IngestInput, 'gateway' | 'records'>): Promise<void> {
    if (this.deps.config.deviceFaultAfterMinutes <= 0) return Promise.resolve();
    return this.faults.observe(input.gateway, input.records);
  }

  /** Runs a pass as soon as possible (new alarm records committed); coalesced with one under way. */
  kick(): void {
    if (this.stopped || this.deps.schedule === false) return;
    if (this.passing !== undefined) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.arm(0);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.again = false;
      this.passing = this.pass()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.error({ err }, 'alerts pass failed; next one on schedule'))
        .finally(() => {
          this.passing = undefined;
          if (!this.stopped) this.arm(this.again ? 0 : this.deps.config.tickMs);
        });
    }, ms);
  }

  /** One engine pass under the session lock; false when another relay holds it. */
  async pass(): Promise<boolean> {
    const r = await this.deps.executor.withSessionLock(ALERTS_PASS_LOCK_KEY, 'alertsPass', () => this.engine.pass());
    return r.ran;
  }

  /** `org`: only that organization's alerts (issue 15); absent: every alert (the platform owner). */
  async list(state: AlertState | undefined, limit: number, before?: { readonly openedAt: number; readonly id: string }, org?: string): Promise<AlertView[]> {
    const alerts = await this.deps.store.alerts({
      ...(state === undefined ? {} : { state }),
      limit,
      ...(before === undefined ? {} : { before }),
      ...(org === undefined ? {} : { org }),
    });
    const summaries = await this.deps.store.deliverySummaries(alerts.map((a) => a.id));
    return alerts.map((a) => ({ ...a, deliveries: summaries.get(a.id) ?? {} }));
  }

  async get(id: string): Promise<{ alert: Alert; messages: Array<Omit<OutboxMessage, 'payload'>>; deliveries: Delivery[] } | undefined> {
    const alert = await this.deps.store.alert(id);
    if (alert === undefined) return undefined;
    const messages = (await this.deps.store.outbox(id)).map(({ payload: _p, ...m }) => m);
    return { alert, messages, deliveries: await this.deps.store.deliveries(id, 500) };
  }

  ack(id: string, by: string): Promise<'acked' | 'already' | 'unknown'> {
    return this.engine.ack(id, by);
  }

  /** Throws ALERTS_ACK_TOKEN_INVALID / _EXPIRED. */
  verifyLink(token: string): AckClaim {
    return verifyAck(this.key, token, this.deps.clock.now());
  }

  /**
   * Queues a test message to every address of a group, or of one channel kind across groups;
   * returns the keys (follow them in the delivery log). Throws ALERTS_UNKNOWN_TARGET.
   */
  async test(target: string): Promise<string[]> {
    const { config } = this.deps;
    let targets: Target[];
    if (config.groups[target] !== undefined) targets = groupTargets(config, target);
    else if (['email', 'webhook', 'sms', 'telegram'].includes(target))
      targets = Object.keys(config.groups)
        .flatMap((g) => groupTargets(config, g))
        .filter((t) => t.channel === target);
    else
      throw new AlertsError(ALERTS_UNKNOWN_TARGET, `"${target}" is neither a group nor a channel kind (email, webhook, sms, telegram)`, {
        details: { target },
      });
    const now = this.deps.clock.now();
    const alert = {
      id: `test:${now}`,
      family: 'test',
      kind: 'test',
      severity: 'info' as const,
      gateway: null,
      device: null,
      channel: null,
      obra: null,
      title: `Atalaya test message (${target})`,
      facts: { test: true },
      openedAt: now,
    };
    const messages = targets.map((t) => ({
      ...alertMessage({ alert, rule: 'test', kind: 'test', step: 0, target: t, now, ackUrl: undefined, state: 'queued', nextAttemptAt: now }),
      alertId: null,
    }));
    await this.deps.store.enqueue(messages, now, 'cli');
    this.dispatcher.wake();
    return messages.map((m) => m.key);
  }
}
