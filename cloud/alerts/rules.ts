/**
 * Which rules take an alert, and who they reach: pure functions of the config. A subject is
 * `<gateway>/<device>/<channel>` for alarm records, `<gateway>` for silence and integrity.
 */
import type { ChannelKind, Severity } from '../../platform/notify/types.ts';
import type { AlertMember, AlertRule, AlertsConfig } from './config.ts';

export interface Target {
  readonly group: string;
  readonly member: string;
  readonly channel: ChannelKind;
  readonly address: string;
}

/** A subject pattern as a RegExp: `*` matches any run of characters (also `/`); everything else literally. */
export function subjectPattern(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

export function subjectMatches(pattern: string, subject: string): boolean {
  return subjectPattern(pattern).test(subject);
}

export function matchingRules(config: AlertsConfig, a: { kind: string; severity: Severity; subject: string }): AlertRule[] {
  return config.rules.filter(
    (r) => (r.kinds as readonly string[]).includes(a.kind) && r.severities.includes(a.severity) && r.subjects.some((p) => subjectMatches(p, a.subject)),
  );
}

function memberTargets(group: string, m: AlertMember): Target[] {
  const out: Target[] = [];
  if (m.email !== undefined) out.push({ group, member: m.name, channel: 'email', address: m.email });
  if (m.webhook !== undefined) out.push({ group, member: m.name, channel: 'webhook', address: m.webhook });
  if (m.phone !== undefined) out.push({ group, member: m.name, channel: 'sms', address: m.phone });
  if (m.telegram !== undefined) out.push({ group, member: m.name, channel: 'telegram', address: m.telegram });
  return out;
}

export function groupTargets(config: AlertsConfig, group: string): Target[] {
  return (config.groups[group]?.members ?? []).flatMap((m) => memberTargets(group, m));
}

/** Groups reached at escalation `level` (0: the rule's groups; n: plus the first n escalation groups). */
export function groupsAtLevel(rule: AlertRule, level: number): string[] {
  return [...rule.groups, ...rule.escalation.slice(0, level)];
}

/** Groups newly reached when moving to `level` (≥ 1). */
export function groupOfLevel(rule: AlertRule, level: number): string | undefined {
  return rule.escalation[level - 1];
}

/**
 * When a message of `severity` may leave, given quiet hours: `now`, or the end of the quiet
 * period it falls in. Alarm severity is never held.
 */
export function releaseAt(config: AlertsConfig, severity: Severity, now: number): number {
  const q = config.quietHours;
  if (q === undefined || severity === 'alarm') return now;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: q.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(now));
  const local = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) * 60 + Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  const toMin = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const from = toMin(q.from);
  const to = toMin(q.to);
  const inside = from <= to ? local >= from && local < to : local >= from || local < to;
  if (!inside) return now;
  const wait = (to - local + 1440) % 1440;
  // Whole minutes from the start of the current local minute.
  return now - (now % 60_000) + wait * 60_000;
}
