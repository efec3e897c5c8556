/**
 * The alerts store's interface (alerts-store.ts): alerts and their open/closed state, the routes
 * that notified them, the outbox of messages and the append-only delivery log, on SQLite or
 * PostgreSQL. cloud/alerts codes against it.
 *
 * Guarantees across relays on one PostgreSQL database:
 * - an alert id is inserted once (`openAlert` answers false to the second relay), and its
 *   messages are queued in the same transaction;
 * - `claim` hands a due message to one relay at a time (FOR UPDATE SKIP LOCKED), for a lease;
 *   a relay that dies mid-send leaves it `sending` until the lease ends, then any relay resends
 *   it with the same key;
 * - `finish` applies only while the claimer still holds the row (same leasedBy, still sending).
 */
import type { Severity } from '../../platform/notify/types.ts';

export const ALERT_STATES = ['open', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const MESSAGE_KINDS = ['opened', 'reminder', 'escalation', 'closed', 'digest', 'test'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'given_up', 'held', 'digested', 'cancelled'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** What the delivery log says about a message at one moment. */
export const DELIVERY_OUTCOMES = ['queued', 'sent', 'failed', 'given_up', 'held', 'digested', 'cancelled'] as const;
export type DeliveryOutcomeKind = (typeof DELIVERY_OUTCOMES)[number];

export type FactValue = string | number | boolean | null;

export interface Alert {
  /** Stable and derivable, e.g. `alarm:<gateway>:<device>:<channel>:<rule>:<seq of the raise>`. */
  readonly id: string;
  /** The id without the transition (`alarm:<gateway>:<device>:<channel>:<rule>`, `silent:<gateway>`). */
  readonly family: string;
  readonly kind: string;
  readonly severity: Severity;
  readonly gateway: string | null;
  readonly device: string | null;
  readonly channel: string | null;
  readonly obra: string | null;
  readonly title: string;
  readonly facts: Readonly<Record<string, FactValue>>;
  readonly state: AlertState;
  readonly openedAt: number;
  readonly closedAt: number | null;
  readonly ackedAt: number | null;
  /** `link:<recipient>`, `operator`, `gateway:<id>`, or a name given to the CLI. */
  readonly ackedBy: string | null;
  readonly updatedAt: number;
  /**
   * The organization that sees the alert (issue 15): its gateway's, set by the store when the
   * alert is opened; null for a relay-wide alert (anchoring), which only the platform owner sees.
   */
  readonly orgId: string | null;
}

export type NewAlert = Omit<Alert, 'state' | 'closedAt' | 'ackedAt' | 'ackedBy' | 'updatedAt' | 'orgId'> & {
  /** When `gateway` is null: the gateway whose organization owns the alert (a DGA obra's gateway). */
  readonly ownerGateway?: string | undefined;
};

export interface Route {
  readonly alertId: string;
  readonly rule: string;
  /** 0: the rule's first group; n: escalated n times. */
  readonly level: number;
  readonly escalateAt: number | null;
  readonly remindAt: number | null;
  readonly reminders: number;
  readonly createdAt: number;
}

export interface NewMessage {
  /** Deterministic idempotency key (keys.ts), ≤ 128 ASCII characters; a second insert is a no-op. */
  readonly key: string;
  readonly alertId: string | null;
  readonly rule: string;
  readonly messageKind: MessageKind;
  readonly group: string;
  readonly recipient: string;
  readonly channel: string;
  readonly address: string;
  readonly severity: Severity;
  /** The Notification (platform/notify/types.ts) as JSON. */
  readonly payload: string;
  /** queued, or held (digest); `nextAttemptAt` later than now: held back by quiet hours. */
  readonly state: 'queued' | 'held';
  readonly nextAttemptAt: number;
}

export interface OutboxMessage extends Omit<NewMessage, 'state'> {
  readonly id: number;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly leasedBy: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly sentAt: number | null;
  readonly providerId: string | null;
  readonly lastCode: string | null;
  readonly lastDetail: string | null;
  readonly digestId: number | null;
}

export interface Delivery {
  readonly id: number;
  readonly outboxId: number;
  readonly alertId: string | null;
  readonly at: number;
  readonly outcome: DeliveryOutcomeKind;
  readonly attempt: number;
  readonly code: string | null;
  readonly detail: string | null;
  readonly instance: string;
}

export type FinishInput =
  | {
      readonly id: number;
      readonly leasedBy: string;
      readonly now: number;
      readonly outcome: 'sent';
      readonly attempt: number;
      readonly providerId: string | null;
    }
  | {
      readonly id: number;
      readonly leasedBy: string;
      readonly now: number;
      /** failed: queued again for nextAttemptAt; given_up: never again. */
      readonly outcome: 'failed' | 'given_up';
      readonly attempt: number;
      readonly code: string;
      readonly detail: string;
      readonly nextAttemptAt: number;
    };

/** Counts of messages per state and channel, for metrics and the list API. */
export interface DeliveryCount {
  readonly channel: string;
  readonly state: OutboxState;
  readonly n: number;
}

/** An alarm record as the detector reads it (records are written by the records store only). */
export interface AlarmRecordRow {
  readonly gateway: string;
  readonly seq: number;
  readonly device: string;
  readonly channel: string;
  readonly value: number | null;
  readonly unit: string;
  readonly ts: number;
  readonly receivedAt: number;
  /** JSON of protocols/records.ts AlarmDetail. */
  readonly alarm: string;
}

export interface AlertsStore {
  /** Alarm records after the key (ts: the record time, tsCorrected when set) (receivedAt, gateway, seq), in that order. */
  alarmRecordsAfter(after: { receivedAt: number; gateway: string; seq: number }, limit: number): Promise<AlarmRecordRow[]>;
  /** Integrity alarms with an id above `afterId`, oldest first. */
  integrityAlarmsAfter(afterId: number, limit: number): Promise<Array<{ id: number; gateway: string; seq: number; at: number }>>;
  /** A detector's cursor, 0 when never set. */
  cursor(name: string): Promise<number>;
  setCursor(name: string, value: number): Promise<void>;
  /** Cursors whose name starts with `prefix` and whose value is above 0 (device-fault states). */
  cursorsWithPrefix(prefix: string): Promise<Array<{ name: string; value: number }>>;
  /**
   * Inserts the alert with its routes and messages in one transaction; false (nothing written)
   * when the id exists already (another relay, or a rescan, got there first).
   */
  openAlert(alert: NewAlert, routes: readonly Route[], messages: readonly NewMessage[], instance: string): Promise<boolean>;
  /** openAlert for many, in one transaction (a storm costs one commit per page, not per alert); one answer per item. */
  openAlerts(
    items: ReadonlyArray<{ readonly alert: NewAlert; readonly routes: readonly Route[]; readonly messages: readonly NewMessage[] }>,
    instance: string,
  ): Promise<boolean[]>;
  /** The open alert of a family, if any. */
  openOfFamily(family: string): Promise<Alert | undefined>;
  /** The most recently opened alert of a family, open or closed. */
  latestOfFamily(family: string): Promise<Alert | undefined>;
  /** When the latest alert of a rule's family was notified by that rule (cooldown), ms. */
  lastRouted(family: string, rule: string): Promise<number | undefined>;
  /** Closes an open alert, drops its routes' pending reminders and escalations, queues `messages`; false when it was not open. */
  closeAlert(id: string, now: number, messages: readonly NewMessage[], instance: string): Promise<boolean>;
  /** Records who acknowledged (first one wins), stops escalation and reminders; closes the alert when `close`. */
  ack(id: string, by: string, now: number, close: boolean, instance: string): Promise<'acked' | 'already' | 'unknown'>;
  /** Cancels the alert's messages of one kind not sent yet (queued or held); how many. */
  cancelQueued(alertId: string, kind: MessageKind, now: number, instance: string): Promise<number>;
  alert(id: string): Promise<Alert | undefined>;
  /** Newest first; `before`: the (openedAt, id) of the last alert of the previous page. */
  alerts(options: {
    readonly state?: AlertState;
    readonly limit: number;
    readonly before?: { readonly openedAt: number; readonly id: string };
    /** Only this organization's alerts (issue 15); absent: every alert. */
    readonly org?: string;
  }): Promise<Alert[]>;
  routes(alertId: string): Promise<Route[]>;
  /** Routes of open, unacknowledged alerts whose escalation or reminder is due. */
  dueRoutes(now: number, limit: number): Promise<Route[]>;
  /** Moves a route on (level, next times) and queues its messages, in one transaction; false when another relay moved it first. */
  advanceRoute(before: Route, after: Route, messages: readonly NewMessage[], now: number, instance: string): Promise<boolean>;
  /** Messages queued or sent to (channel, address) for a rule since `since` (the digest's window). */
  recentCount(channel: string, address: string, rule: string, since: number): Promise<number>;
  /** Queues messages without an alert row (digests, tests). */
  enqueue(messages: readonly NewMessage[], now: number, instance: string): Promise<number>;
  /** Held messages created before `before`, oldest first. */
  held(before: number, limit: number): Promise<OutboxMessage[]>;
  /** Held messages of one (channel, address, rule), oldest first. */
  heldOf(channel: string, address: string, rule: string, limit: number): Promise<OutboxMessage[]>;
  /** Queues the digest and marks `heldIds` digested, in one transaction. */
  digest(message: NewMessage, heldIds: readonly number[], now: number, instance: string): Promise<void>;
  /** Takes one due message of a channel for `leaseMs`: state sending, attempts + 1. */
  claim(channel: string, now: number, leaseMs: number, instance: string): Promise<OutboxMessage | undefined>;
  /** Records an attempt's outcome; false when the lease was lost (another relay took the row). */
  finish(input: FinishInput, instance: string): Promise<boolean>;
  outbox(alertId: string): Promise<OutboxMessage[]>;
  deliveries(alertId: string, limit: number): Promise<Delivery[]>;
  /** Deliveries of one message (by key), oldest first. */
  deliveriesOfKey(key: string): Promise<Delivery[]>;
  deliveryCounts(): Promise<DeliveryCount[]>;
  /** Delivery counts per alert, for the list API. */
  deliverySummaries(alertIds: readonly string[]): Promise<Map<string, Record<string, number>>>;
  openCounts(): Promise<Array<{ kind: string; severity: string; n: number }>>;
}
