import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Channel, ChannelKind } from '../../platform/notify/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import { type NewRecord, PRIORITY, type StoredRecord } from '../../protocols/records.ts';
import { pageMessage } from './message.ts';
import type { PagingConfig, Recipient } from './schema.ts';
import { type Delivery, type PageRow, PagingStore } from './store.ts';

/** What the pager needs of the buffer: committed records, unacknowledged alarms at start, "still held?", appends. */
export interface PagerBuffer {
  on(event: 'committed', listener: (records: readonly StoredRecord[]) => void): unknown;
  off(event: 'committed', listener: (records: readonly StoredRecord[]) => void): unknown;
  readAfter(afterSeq: number, limit: number, kind: 'alarm'): StoredRecord[];
  alarmStates(): ReadonlyArray<{ readonly seq: number }>;
  /** Still held, i.e. not yet acknowledged by the relay (RecordBuffer.holds). */
  holds(seq: number): boolean;
  append(records: readonly NewRecord[]): Promise<number[]>;
}

export interface PagerOptions {
  readonly config: PagingConfig;
  readonly gatewayId: string;
  /** The buffer file: the pager keeps its table there (store.ts). */
  readonly bufferPath: string;
  readonly buffer: PagerBuffer;
  /** Makes the channels at each start() (stop() closes them). */
  readonly channels: () => readonly Channel[];
  /** The channel kinds channels() makes, for status() before start. */
  readonly channelKinds: readonly ChannelKind[];
  readonly clock: Clock;
  readonly bootId: string;
  readonly flags: () => number;
  readonly logger: Logger;
  /** How often due pages are looked at, ms (default 1000). */
  readonly tickMs?: number;
}

export interface PagerStatus {
  readonly enabled: true;
  readonly channels: readonly ChannelKind[];
  /** Transitions waiting for the relay or being paged. */
  readonly pending: number;
  readonly sent: Readonly<Partial<Record<ChannelKind, number>>>;
  readonly failed: Readonly<Partial<Record<ChannelKind, number>>>;
  readonly consecutiveFailures: number;
  readonly lastError: { readonly code: string; readonly detail: string; readonly at: number } | null;
  readonly lastPage: {
    readonly seq: number;
    readonly device: string;
    readonly channel: string;
    readonly rule: string;
    readonly state: string;
    readonly at: number;
  } | null;
}

/** Repeated failures are logged at most this often, ms. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Local paging (issue 13 §7). Every alarm-level `raised` record committed to the buffer (and,
 * with allClear, the `cleared` that ends a paged raise) is noted in the paging table, due afterMs
 * later. When it falls due and the buffer still holds the record (the relay has not acknowledged
 * it: the uplink is down), every recipient is sent the message through every channel it has an
 * address for, each delivery retried with a doubling back-off up to retry.attempts, and its
 * outcome stored before the next send, so a restart never sends one twice. Once paged, a `paged`
 * alarm record (protocols/records.ts) tells the relay, which then does not page that transition
 * again. Warnings never page.
 */
export class Pager {
  private store: PagingStore | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly sent: Partial<Record<ChannelKind, number>> = {};
  private readonly failed: Partial<Record<ChannelKind, number>> = {};
  private consecutiveFailures = 0;
  private lastError: PagerStatus['lastError'] = null;
  private lastFailureLogAt = -Infinity;
  private pendingCount = 0;
  private stopping = false;
  private channels: readonly Channel[] = [];

  constructor(private readonly o: PagerOptions) {
    this.log = o.logger.child({ component: 'paging' });
  }

  start(): void {
    if (this.store !== undefined) return;
    this.stopping = false;
    this.store = new PagingStore(this.o.bufferPath);
    this.channels = this.o.channels();
    this.o.buffer.on('committed', this.onCommitted);
    // Transitions committed while the pager was not listening (a crash between commit and note):
    // the unacknowledged alarm records are still in the buffer. Only those that are still their
    // rule's current state: turning paging on must not page last week's alarms.
    const current = new Set(this.o.buffer.alarmStates().map((s) => s.seq));
    for (let after = 0; ; ) {
      const batch = this.o.buffer.readAfter(after, 1000, 'alarm');
      if (batch.length === 0) break;
      this.onCommitted(batch.filter((r) => current.has(r.seq)));
      after = batch[batch.length - 1]!.seq;
    }
    this.timer = setInterval(this.tick, this.o.tickMs ?? 1000);
    this.log.info({ afterMs: this.o.config.afterMs, recipients: this.o.config.recipients.length, channels: this.o.channelKinds }, 'local paging on');
  }

  async stop(): Promise<void> {
    if (this.store === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.o.buffer.off('committed', this.onCommitted);
    this.stopping = true;
    // Closing the channels first ends a send in progress (its outcome is stored as a failure).
    for (const c of this.channels) await c.close();
    await this.busy;
    this.store.close();
    this.store = undefined;
  }

  status(): PagerStatus {
    const last = this.store?.lastPaged();
    return {
      enabled: true,
      channels: this.o.channelKinds,
      pending: this.pendingCount,
      sent: { ...this.sent },
      failed: { ...this.failed },
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastPage:
        last === undefined || last.pagedAt === null
          ? null
          : { seq: last.seq, device: last.device, channel: last.channel, rule: last.rule, state: last.state, at: last.pagedAt },
    };
  }

  /** Runs one pass over due pages now (tests, and the interval). */
  runDue(): Promise<void> {
    this.busy ??= this.pass().finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  private readonly tick = (): void => {
    this.runDue().catch((err: unknown) => this.log.error({ err }, 'paging pass failed'));
  };

  private readonly onCommitted = (records: readonly StoredRecord[]): void => {
    const store = this.store;
    if (store === undefined) return;
    const due = this.o.clock.now() + this.o.config.afterMs;
    for (const r of records) {
      const a = r.alarm;
      if (r.kind !== 'alarm' || a === undefined || a.level !== 'alarm') continue;
      if (a.state !== 'raised' && !(a.state === 'cleared' && this.o.config.allClear)) continue;
      try {
        store.add({
          seq: r.seq,
          device: r.device,
          channel: r.channel,
          rule: a.rule,
          level: a.level,
          state: a.state,
          value: r.value,
          unit: r.unit,
          threshold: a.threshold,
          ts: r.ts,
          due,
        });
      } catch (err) {
        this.log.error({ err, seq: r.seq }, 'cannot note an alarm for paging');
      }
    }
  };

  private async pass(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const now = this.o.clock.now();
    const open = store.open();
    this.pendingCount = open.length;
    for (const row of open) {
      if (this.stopping) return;
      if (row.status === 'paged') {
        await this.note(store, row);
        continue;
      }
      if (row.due > now) break;
      if (row.status === 'waiting') {
        if (!this.o.buffer.holds(row.seq)) {
          store.setStatus(row.seq, 'acknowledged');
          continue;
        }
        if (row.state === 'cleared' && !store.raisePaged(row.device, row.channel, row.rule, row.seq)) {
          store.setStatus(row.seq, 'skipped');
          continue;
        }
        store.setStatus(row.seq, 'paging');
        this.log.warn(
          { seq: row.seq, device: row.device, channel: row.channel, rule: row.rule, state: row.state },
          'relay has not acknowledged the alarm in time: paging locally',
        );
      }
      await this.deliver(store, row, now);
    }
  }

  private async deliver(store: PagingStore, row: PageRow, now: number): Promise<void> {
    const { retry, recipients } = this.o.config;
    const deliveries: Record<string, Delivery> = { ...row.deliveries };
    const message = pageMessage(row, this.o.gatewayId);
    for (const [index, recipient] of recipients.entries()) {
      for (const channel of this.channels) {
        const address = addressFor(recipient, channel.kind);
        if (address === undefined) continue;
        const key = `${recipient.name}/${channel.kind}`;
        const d = deliveries[key] ?? { ok: false, attempts: 0 };
        if (d.ok || d.gaveUp === true || (d.nextAt ?? 0) > now || this.stopping) continue;
        const outcome = await channel.send(address, { ...message, key: notificationKey(message.eventId, index, channel.kind) });
        const attempts = d.attempts + 1;
        if (outcome.ok) {
          deliveries[key] = { ok: true, attempts, ...(outcome.providerId !== undefined ? { code: outcome.providerId } : {}) };
          this.sent[channel.kind] = (this.sent[channel.kind] ?? 0) + 1;
          this.consecutiveFailures = 0;
          this.log.info({ seq: row.seq, recipient: recipient.name, channel: channel.kind, attempts }, 'paged');
        } else {
          const gaveUp = !outcome.retryable || attempts >= retry.attempts;
          // Retry-After is a floor: the receiver asked not to be called sooner.
          const delay = Math.max(Math.min(retry.firstMs * 2 ** (attempts - 1), retry.maxMs), outcome.retryAfterMs ?? 0);
          deliveries[key] = { ok: false, attempts, code: outcome.code, ...(gaveUp ? { gaveUp: true } : { nextAt: now + delay }) };
          this.failed[channel.kind] = (this.failed[channel.kind] ?? 0) + 1;
          this.consecutiveFailures++;
          this.lastError = { code: outcome.code, detail: outcome.detail, at: now };
          this.logFailure(now, {
            seq: row.seq,
            recipient: recipient.name,
            channel: channel.kind,
            attempts,
            code: outcome.code,
            detail: outcome.detail,
            gaveUp,
            retryInMs: gaveUp ? undefined : delay,
          });
        }
        // Stored before the next send: a crash now never sends this one again.
        store.setDeliveries(row.seq, deliveries);
      }
    }
    const all = Object.values(deliveries);
    if (all.some((d) => !d.ok && d.gaveUp !== true)) return;
    const anyOk = all.some((d) => d.ok);
    store.finish(row.seq, anyOk ? 'paged' : 'failed', anyOk ? this.o.clock.now() : null);
    if (!anyOk) {
      this.log.error({ seq: row.seq, device: row.device, channel: row.channel }, 'local paging failed on every channel');
      return;
    }
    const updated = store.get(row.seq);
    if (updated !== undefined) await this.note(store, updated);
  }

  /** Appends the `paged` record the relay receives once the uplink is back. */
  private async note(store: PagingStore, row: PageRow): Promise<void> {
    const channels = [
      ...new Set(
        Object.entries(row.deliveries)
          .filter(([, d]) => d.ok)
          .map(([k]) => k.slice(k.lastIndexOf('/') + 1)),
      ),
    ];
    const record: NewRecord = {
      kind: 'alarm',
      device: row.device,
      channel: row.channel,
      value: row.seq,
      unit: channels.join(',').slice(0, 32),
      quality: 'good',
      exception: null,
      ts: row.pagedAt ?? this.o.clock.now(),
      mono: this.o.clock.monotonic(),
      bootId: this.o.bootId,
      priority: PRIORITY.alarm,
      flags: this.o.flags(),
      alarm: { rule: row.rule, level: row.level, state: 'paged', threshold: null },
    };
    try {
      await this.o.buffer.append([record]);
      store.setNoted(row.seq);
      this.log.info({ seq: row.seq, channels }, 'paged record appended for the relay');
    } catch (err) {
      this.log.error({ err, seq: row.seq }, 'cannot append the paged record; trying again on the next pass');
    }
  }

  private logFailure(now: number, fields: Record<string, unknown>): void {
    if (now - this.lastFailureLogAt < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogAt = now;
    this.log.warn({ ...fields, consecutiveFailures: this.consecutiveFailures }, 'page not delivered; retrying (logged once a minute)');
  }
}

/**
 * The idempotency key of one page to one recipient through one channel (platform/notify/types.ts:
 * stable, ASCII, at most 128 characters): the event id, the recipient's place in the list and the
 * channel, or its SHA-256 when names make that too long or not ASCII.
 */
function notificationKey(eventId: string, recipient: number, kind: ChannelKind): string {
  const key = `${eventId}:${recipient}:${kind}`;
  return key.length <= 128 && /^[\x20-\x7e]*$/.test(key) ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function addressFor(r: Recipient, kind: ChannelKind): string | undefined {
  switch (kind) {
    case 'modem':
    case 'sms':
      return r.phone;
    case 'email':
      return r.email;
    case 'webhook':
      return r.webhook;
    case 'telegram':
      return undefined;
    default: {
      const unknown: never = kind;
      return unknown;
    }
  }
}
