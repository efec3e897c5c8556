/**
 * From an alert to its routes and messages: which rules take it, whom they reach now, what waits
 * for quiet hours, what the digest holds back. Reads the store (cooldown, digest window) but
 * writes nothing: the caller commits the plan with the alert in one transaction.
 */
import type { Alert, AlertsStore, MessageKind, NewAlert, NewMessage, Route } from '../store/alerts-types.ts';
import { signAck } from './ack-token.ts';
import type { AlertRule, AlertsConfig } from './config.ts';
import { alertMessage } from './messages.ts';
import { groupTargets, matchingRules, releaseAt, type Target } from './rules.ts';

export interface PlanContext {
  readonly config: AlertsConfig;
  readonly store: AlertsStore;
  readonly ackKey: Buffer;
  /**
   * Messages per (channel, address, rule) in the digest window, as the database counted them at
   * the first look in this pass plus those planned since: plans made before their commit (a
   * batch of openings) still see each other. One pass at a time runs (the session lock).
   */
  readonly window?: Map<string, number>;
  /**
   * A gateway's organization (records store), for a new alert (issue 15); without it every alert
   * counts as relay-wide. `orgs` caches the answers for one pass.
   */
  readonly orgOf?: (gateway: string) => Promise<string | undefined>;
  readonly orgs?: Map<string, string | null>;
}

const MIN = 60_000;

/** The subject rules match on: `<gateway>/<device>/<channel>` for alarms, else the gateway or obra. */
export function subjectOf(a: NewAlert | Alert): string {
  if (a.device !== null && a.channel !== null) return `${a.gateway ?? ''}/${a.device}/${a.channel}`;
  return a.gateway ?? a.obra ?? '';
}

export function ackUrl(ctx: PlanContext, alertId: string, t: Target, now: number): string | undefined {
  const base = ctx.config.ackLinkBaseUrl;
  if (base === undefined) return undefined;
  const token = signAck(ctx.ackKey, { alertId, recipient: `${t.group}/${t.member}`, expiresAt: now + ctx.config.ackLinkTtlHours * 3_600_000 });
  return `${base.replace(/\/+$/, '')}/v1/alerts/ack?t=${token}`;
}

/**
 * The organization an alert belongs to (issue 15, cloud/store/migrations-orgs.ts): a stored alert
 * carries it; a new one is its gateway's (or its obra's gateway's); null: relay-wide (anchoring).
 */
export async function orgOfAlert(ctx: PlanContext, alert: NewAlert | Alert): Promise<string | null> {
  if ('orgId' in alert) return alert.orgId;
  const gateway = alert.gateway ?? alert.ownerGateway;
  if (gateway === undefined || gateway === null || ctx.orgOf === undefined) return null;
  const cached = ctx.orgs?.get(gateway);
  if (cached !== undefined) return cached;
  const org = (await ctx.orgOf(gateway)) ?? null;
  ctx.orgs?.set(gateway, org);
  return org;
}

/**
 * Targets of groups, each (channel, address) once. A group of an organization is told only of
 * that organization's alerts (`org`: the alert's); a group without one (the platform's) of all.
 */
export function targetsOf(config: AlertsConfig, groups: readonly string[], org: string | null): Target[] {
  const seen = new Set<string>();
  return groups
    .filter((g) => {
      const owner = config.groups[g]?.org;
      return owner === undefined || owner === org;
    })
    .flatMap((g) => groupTargets(config, g))
    .filter((t) => {
      const k = `${t.channel}\u0000${t.address}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/** Messages of one kind and step to targets: held when the recipient's digest window is full, delayed by quiet hours. */
export async function messagesFor(
  ctx: PlanContext,
  alert: NewAlert | Alert,
  rule: AlertRule,
  kind: MessageKind,
  step: number,
  targets: readonly Target[],
  now: number,
): Promise<NewMessage[]> {
  const { digest } = ctx.config;
  const out: NewMessage[] = [];
  for (const target of targets) {
    const k = `${target.channel}\u0000${target.address}\u0000${rule.name}`;
    const recent = ctx.window?.get(k) ?? (await ctx.store.recentCount(target.channel, target.address, rule.name, now - digest.windowMinutes * MIN));
    ctx.window?.set(k, recent + 1);
    const state = recent >= digest.maxPerWindow ? 'held' : 'queued';
    const link = kind === 'closed' ? undefined : ackUrl(ctx, alert.id, target, now);
    out.push(alertMessage({ alert, rule: rule.name, kind, step, target, now, ackUrl: link, state, nextAttemptAt: releaseAt(ctx.config, alert.severity, now) }));
  }
  return out;
}

/** Routes and opening messages of a new alert; rules in their cooldown for the family are left out. */
export async function planOpen(ctx: PlanContext, alert: NewAlert, now: number, notify: boolean): Promise<{ routes: Route[]; messages: NewMessage[] }> {
  const routes: Route[] = [];
  const messages: NewMessage[] = [];
  const org = notify ? await orgOfAlert(ctx, alert) : null;
  for (const rule of matchingRules(ctx.config, { kind: alert.kind, severity: alert.severity, subject: subjectOf(alert) })) {
    if (rule.cooldownMinutes > 0) {
      const last = await ctx.store.lastRouted(alert.family, rule.name);
      if (last !== undefined && now - last < rule.cooldownMinutes * MIN) continue;
    }
    routes.push({
      alertId: alert.id,
      rule: rule.name,
      level: 0,
      escalateAt: rule.escalation.length > 0 ? now + rule.escalateAfterMinutes * MIN : null,
      remindAt: rule.repeatEveryMinutes > 0 ? now + rule.repeatEveryMinutes * MIN : null,
      reminders: 0,
      createdAt: now,
    });
    if (notify) messages.push(...(await messagesFor(ctx, alert, rule, 'opened', 0, targetsOf(ctx.config, rule.groups, org), now)));
  }
  return { routes, messages };
}

/** Closing messages to every group each route reached. */
export async function planClose(ctx: PlanContext, alert: Alert, routes: readonly Route[], now: number): Promise<NewMessage[]> {
  const out: NewMessage[] = [];
  for (const route of routes) {
    const rule = ctx.config.rules.find((r) => r.name === route.rule);
    if (rule === undefined || !rule.notifyClose) continue;
    out.push(
      ...(await messagesFor(
        ctx,
        alert,
        rule,
        'closed',
        0,
        targetsOf(ctx.config, [...rule.groups, ...rule.escalation.slice(0, route.level)], alert.orgId),
        now,
      )),
    );
  }
  return out;
}

/** The next state of a due route and its messages: an escalation step, a reminder, or both. */
export async function planAdvance(ctx: PlanContext, alert: Alert, route: Route, now: number): Promise<{ after: Route; messages: NewMessage[] }> {
  const rule = ctx.config.rules.find((r) => r.name === route.rule);
  if (rule === undefined) return { after: { ...route, escalateAt: null, remindAt: null }, messages: [] };
  let { level, escalateAt, remindAt, reminders } = route;
  const messages: NewMessage[] = [];
  if (escalateAt !== null && escalateAt <= now) {
    level += 1;
    const group = rule.escalation[level - 1];
    if (group !== undefined) messages.push(...(await messagesFor(ctx, alert, rule, 'escalation', level, targetsOf(ctx.config, [group], alert.orgId), now)));
    escalateAt = level < rule.escalation.length ? now + rule.escalateAfterMinutes * MIN : null;
  }
  if (remindAt !== null && remindAt <= now) {
    reminders += 1;
    messages.push(
      ...(await messagesFor(
        ctx,
        alert,
        rule,
        'reminder',
        reminders,
        targetsOf(ctx.config, [...rule.groups, ...rule.escalation.slice(0, level)], alert.orgId),
        now,
      )),
    );
    remindAt = now + rule.repeatEveryMinutes * MIN;
  }
  return { after: { ...route, level, escalateAt, remindAt, reminders }, messages };
}
