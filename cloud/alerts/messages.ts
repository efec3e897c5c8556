/**
 * Wording and keys of the messages about an alert: one Notification (platform/notify/types.ts)
 * per (alert, rule, message kind, step, recipient, channel), with a deterministic idempotency key
 * so a resend after a crash carries the same key / Message-ID.
 */
import { createHash } from 'node:crypto';
import type { Notification } from '../../platform/notify/types.ts';
import type { Alert, MessageKind, NewAlert, NewMessage, OutboxMessage } from '../store/alerts-types.ts';
import type { Target } from './rules.ts';

/** `atl-` and 43 base64url characters: ≤ 128 ASCII as the contract asks. */
export function messageKey(parts: readonly (string | number)[]): string {
  return `atl-${createHash('sha256').update(parts.join('\u0000')).digest('base64url')}`;
}

const PREFIX: Record<MessageKind, string> = {
  opened: '',
  reminder: '[reminder] ',
  escalation: '[escalated] ',
  closed: '[resolved] ',
  digest: '[digest] ',
  test: '[test] ',
};

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export interface MessageInput {
  readonly alert: NewAlert | Alert;
  readonly rule: string;
  readonly kind: MessageKind;
  /** Escalation level or reminder count: makes each step's key its own. */
  readonly step: number;
  readonly target: Target;
  readonly now: number;
  readonly ackUrl: string | undefined;
  readonly state: 'queued' | 'held';
  readonly nextAttemptAt: number;
}

export function alertMessage(m: MessageInput): NewMessage {
  const { alert, target } = m;
  const key = messageKey([alert.id, m.rule, m.kind, m.step, target.group, target.member, target.channel, target.address]);
  const lines = [
    alert.title,
    `Severity: ${alert.severity}`,
    ...Object.entries(alert.facts).map(([k, v]) => `${k}: ${String(v)}`),
    `Opened: ${new Date(alert.openedAt).toISOString()}`,
    `Alert: ${alert.id}`,
  ];
  if (m.kind === 'closed') lines.splice(1, 0, `Closed: ${new Date(m.now).toISOString()}`);
  if (m.ackUrl !== undefined) lines.push('', `Acknowledge: ${m.ackUrl}`);
  const notification: Notification = {
    key,
    eventId: alert.id,
    severity: alert.severity,
    title: cut(`${PREFIX[m.kind]}${alert.title}`, 120),
    text: lines.join('\n'),
    at: m.kind === 'closed' ? m.now : alert.openedAt,
    ...(m.ackUrl === undefined ? {} : { ackUrl: m.ackUrl }),
    facts: { ...alert.facts, kind: alert.kind, message: m.kind, alert: alert.id },
  };
  return {
    key,
    alertId: alert.id,
    rule: m.rule,
    messageKind: m.kind,
    group: target.group,
    recipient: target.member,
    channel: target.channel,
    address: target.address,
    severity: alert.severity,
    payload: JSON.stringify(notification),
    state: m.state,
    nextAttemptAt: m.nextAttemptAt,
  };
}

/** One summary for messages held back by the digest: counts per alert kind, severity and message kind. */
export function digestMessage(held: readonly OutboxMessage[], now: number): NewMessage {
  const first = held[0];
  if (first === undefined) throw new RangeError('digest of nothing');
  const counts = new Map<string, number>();
  let severity: Notification['severity'] = 'info';
  const order = { info: 0, warning: 1, alarm: 2 } as const;
  const titles: string[] = [];
  for (const h of held) {
    const n = JSON.parse(h.payload) as Notification;
    const label = `${String(n.facts['kind'] ?? 'alert')} ${h.severity} ${h.messageKind}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
    if (order[h.severity] > order[severity]) severity = h.severity;
    if (titles.length < 10) titles.push(`- ${n.title}`);
  }
  const key = messageKey(['digest', first.channel, first.address, first.rule, first.id]);
  const summary = [...counts.entries()].map(([label, c]) => `${c} × ${label}`);
  const notification: Notification = {
    key,
    eventId: `digest:${first.rule}:${first.id}`,
    severity,
    title: cut(`[digest] ${held.length} alert messages held (rule ${first.rule})`, 120),
    text: [
      `${held.length} messages were held back to avoid a flood:`,
      ...summary,
      '',
      'First ones:',
      ...titles,
      ...(held.length > titles.length ? [`… and ${held.length - titles.length} more`] : []),
    ].join('\n'),
    at: now,
    facts: { kind: 'digest', message: 'digest', rule: first.rule, count: held.length, ...Object.fromEntries(counts) },
  };
  return {
    key,
    alertId: null,
    rule: first.rule,
    messageKind: 'digest',
    group: first.group,
    recipient: first.recipient,
    channel: first.channel,
    address: first.address,
    severity,
    payload: JSON.stringify(notification),
    state: 'queued',
    nextAttemptAt: now,
  };
}
