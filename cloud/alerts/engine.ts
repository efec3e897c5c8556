/**
 * The alert engine: one pass turns what the detectors found into alert transitions (open,
 * close, gateway-side ack), moves due escalations and reminders on, and folds held messages into
 * digests. Each transition and its messages commit in one transaction (the outbox is written
 * when the event is detected); the dispatcher (dispatcher.ts) sends them.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { Alert, AlertsStore, NewAlert, NewMessage, Route } from '../store/alerts-types.ts';
import type { PagedLocallyQuery } from '../store/paged-locally.ts';
import type { RelayStore } from '../store/types.ts';
import type { AlertsConfig } from './config.ts';
import { AlarmRecordCursor, readIntegrity, silentPeriods, silentTransitions, type Transition } from './detect.ts';
import { type DeviceFaultTracker, FAULT_CURSOR_PREFIX, faultTransitions } from './device-faults.ts';
import { alarmAlert, deviceFaultAlert, familyOf, integrityAlert, silentAlert } from './events.ts';
import { digestMessage } from './messages.ts';
import { type PlanContext, planAdvance, planClose, planOpen } from './plan.ts';
import { anchorConditions, dgaConditions, STATUS_KINDS, type StatusSources } from './status.ts';

/**
 * Asks whether the gateway already paged this alarm transition itself while its uplink was down
 * (agent/paging, issue 13 §7; cloud/store/paged-locally.ts); such a raise is stored as an alert
 * but its opening messages are not sent.
 */
export type PagedLocally = (q: PagedLocallyQuery) => Promise<boolean>;

/**
 * A record that reached the relay sooner than this after it was taken cannot have been paged by
 * its gateway (agent paging.afterMs is at least 1 s), so the paged-locally lookup is skipped.
 */
const PAGED_POSSIBLE_AFTER_MS = 1000;

/** Alert openings committed together during a pass (one transaction each). */
const OPEN_BATCH = 250;

export interface AlertEngineDeps {
  readonly config: AlertsConfig;
  readonly store: AlertsStore;
  readonly records: RelayStore;
  readonly ackKey: Buffer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This relay's name in leases and the delivery log. */
  readonly instance: string;
  readonly pagedLocally?: PagedLocally;
  /** DGA reporting and anchoring, when enabled: their status becomes alerts (status.ts). */
  readonly status?: StatusSources;
  /** Told when messages were queued, so the dispatcher sends without waiting for its poll. */
  readonly onQueued?: () => void;
  /** Ingest's device-fault states (device-faults.ts), refreshed from the database each pass. */
  readonly faults?: DeviceFaultTracker;
}

export interface PassResult {
  readonly opened: number;
  readonly closed: number;
  readonly advanced: number;
  readonly digests: number;
}

export class AlertEngine {
  private readonly alarms: AlarmRecordCursor;
  private ctx: PlanContext;
  private pending: Array<{ alert: NewAlert; routes: Route[]; messages: NewMessage[] }> = [];
  private readonly pendingFamilies = new Set<string>();
  private readonly logger: Logger;
  /** Open device-fault alerts after the last pass; none and no bad channel: nothing to read. */
  private openFaults = -1;
  /** Each gateway's silence period, ms (0: never silent). */
  private readonly silentAfterMs: (gateway: string) => number;

  constructor(private readonly deps: AlertEngineDeps) {
    this.alarms = new AlarmRecordCursor(deps.store);
    this.ctx = { config: deps.config, store: deps.store, ackKey: deps.ackKey, orgOf: async (id) => (await deps.records.getGateway(id))?.orgId };
    this.logger = deps.logger.child({ component: 'alerts' });
    this.silentAfterMs = silentPeriods(deps.config.silentAfterMinutes, deps.config.silentAfter);
  }

  /** One pass of every detector, escalation and digest. */
  async pass(): Promise<PassResult> {
    try {
      return await this.passOnce();
    } catch (err) {
      // What this pass read but did not commit is read again next time (opening is idempotent).
      this.pending = [];
      this.pendingFamilies.clear();
      this.alarms.forget();
      throw err;
    }
  }

  private async passOnce(): Promise<PassResult> {
    const counts = { opened: 0, closed: 0, advanced: 0, digests: 0 };
    this.ctx = { ...this.ctx, window: new Map(), orgs: new Map() };
    const apply = async (t: Transition): Promise<void> => {
      const r = await this.apply(t);
      if (r === 'opened') counts.opened += 1;
      if (r === 'closed') counts.closed += 1;
    };
    for await (const t of this.alarms.read()) {
      // Raises are opened in batches of one transaction; anything else waits for them first.
      if (t.detail.state === 'raised' && !this.pendingFamilies.has(familyOf(t))) {
        const planned = await this.planRaise(t);
        this.pending.push(planned);
        this.pendingFamilies.add(planned.alert.family);
        if (this.pending.length >= OPEN_BATCH) counts.opened += await this.flush();
        continue;
      }
      counts.opened += await this.flush();
      await apply(t);
    }
    counts.opened += await this.flush();
    // Only now, with every alert of what was read committed, may the cursor move past it.
    await this.alarms.commit();
    const integrity = await readIntegrity(this.deps.store);
    for (const t of integrity.transitions) await apply(t);
    await integrity.commit();
    const { silentAfterMinutes, silentAfter } = this.deps.config;
    if (silentAfterMinutes > 0 || silentAfter.some((s) => s.minutes > 0)) {
      const gateways = await this.deps.records.listGateways();
      const open = new Map<string, number>();
      for (const g of gateways) {
        const a = await this.deps.store.openOfFamily(`silent:${g.id}`);
        if (a !== undefined) open.set(g.id, Number(a.facts['lastSeenAt'] ?? 0));
      }
      for (const t of silentTransitions(gateways, open, this.deps.clock.now(), this.silentAfterMs)) await apply(t);
    }
    const faults = await this.reconcileFaults();
    counts.opened += faults.opened;
    counts.closed += faults.closed;
    const status = await this.reconcileStatus();
    counts.opened += status.opened;
    counts.closed += status.closed;
    counts.advanced = await this.advance();
    counts.digests = await this.flushDigests();
    if (counts.opened + counts.closed + counts.advanced + counts.digests > 0) this.deps.onQueued?.();
    return counts;
  }

  private async flush(): Promise<number> {
    const items = this.pending;
    this.pending = [];
    this.pendingFamilies.clear();
    if (items.length === 0) return 0;
    const opened = await this.deps.store.openAlerts(items, this.deps.instance);
    let n = 0;
    opened.forEach((ok, i) => {
      const item = items[i];
      if (!ok || item === undefined) return;
      n += 1;
      this.logger.info({ alert: item.alert.id, severity: item.alert.severity, messages: item.messages.length }, 'alert opened');
    });
    return n;
  }

  private async planRaise(t: Transition & { type: 'alarm' }): Promise<{ alert: NewAlert; routes: Route[]; messages: NewMessage[] }> {
    const alert = alarmAlert(t, this.deps.clock.now());
    const paged = await this.wasPaged(t);
    const stored = paged ? { ...alert, facts: { ...alert.facts, pagedLocally: true } } : alert;
    return { alert: stored, ...(await planOpen(this.ctx, stored, stored.openedAt, !paged)) };
  }

  /** Whether the gateway paged this transition itself (only alarm level, only a record that came late). */
  private async wasPaged(t: Transition & { type: 'alarm' }): Promise<boolean> {
    const r = t.record;
    const lookup = this.deps.pagedLocally;
    if (t.detail.level !== 'alarm' || lookup === undefined || r.receivedAt - r.ts < PAGED_POSSIBLE_AFTER_MS) return false;
    return lookup({ gateway: r.gateway, device: r.device, channel: r.channel, rule: t.detail.rule, seq: r.seq, since: r.ts });
  }

  private async apply(t: Transition): Promise<'opened' | 'closed' | 'none'> {
    const now = this.deps.clock.now();
    switch (t.type) {
      case 'alarm': {
        const { record: r, detail: d } = t;
        const family = familyOf(t);
        if (d.state === 'raised') {
          const planned = await this.planRaise(t);
          return (await this.deps.store.openAlert(planned.alert, planned.routes, planned.messages, this.deps.instance)) ? 'opened' : 'none';
        }
        if (d.state === 'paged') {
          // The gateway's note that it paged transition `value` itself: what the relay has not sent
          // about that raise yet is not sent (docs/formats.md#paged-alarm-records).
          if (r.value === null) return 'none';
          const raised = await this.deps.store.alert(`${family}:${r.value}`);
          if (raised !== undefined) await this.deps.store.cancelQueued(raised.id, 'opened', now, this.deps.instance);
          else {
            // A paged clear: the alert it closed is the family's latest.
            const latest = await this.deps.store.latestOfFamily(family);
            if (latest !== undefined && latest.state === 'closed') await this.deps.store.cancelQueued(latest.id, 'closed', now, this.deps.instance);
          }
          return 'none';
        }
        const open = await this.deps.store.openOfFamily(family);
        if (open === undefined || Number(open.facts['seq'] ?? 0) > r.seq) return 'none';
        if (d.state === 'acknowledged') {
          await this.deps.store.ack(open.id, `gateway:${r.gateway}`, now, false, this.deps.instance);
          return 'none';
        }
        return (await this.close(open, now, await this.wasPaged(t))) ? 'closed' : 'none';
      }
      case 'integrity':
        return (await this.open(integrityAlert(t, now), true)) ? 'opened' : 'none';
      case 'silent':
        return (await this.open(silentAlert(t, this.deps.config.silentSeverity, now), true)) ? 'opened' : 'none';
      case 'back': {
        const open = await this.deps.store.openOfFamily(`silent:${t.gateway.id}`);
        return open !== undefined && (await this.close(open, now)) ? 'closed' : 'none';
      }
      default: {
        const never: never = t;
        throw new Error(`unknown transition ${(never as { type: string }).type}`);
      }
    }
  }

  /** Device channels bad for longer than deviceFaultAfterMinutes open an alert; good again, it closes. */
  private async reconcileFaults(): Promise<{ opened: number; closed: number }> {
    const afterMs = this.deps.config.deviceFaultAfterMinutes * 60_000;
    if (afterMs <= 0) return { opened: 0, closed: 0 };
    await this.deps.faults?.refresh();
    const bad = await this.deps.store.cursorsWithPrefix(FAULT_CURSOR_PREFIX);
    if (bad.length === 0 && this.openFaults === 0) return { opened: 0, closed: 0 };
    const open = (await this.deps.store.alerts({ state: 'open', limit: 10_000 })).filter((a) => a.kind === 'device_fault');
    const now = this.deps.clock.now();
    let opened = 0;
    let closed = 0;
    for (const t of faultTransitions(bad, open, now, afterMs)) {
      if (t.type === 'fault') {
        if (await this.open(deviceFaultAlert(t, this.deps.config.deviceFaultSeverity, now), true)) opened += 1;
      } else if (await this.close(t.alert, now)) closed += 1;
    }
    this.openFaults = open.length + opened - closed;
    return { opened, closed };
  }

  /** Opens an alert per new status condition, closes those whose condition is gone. */
  private async reconcileStatus(): Promise<{ opened: number; closed: number }> {
    const { status, config } = this.deps;
    if (status?.dga === undefined && status?.anchor === undefined) return { opened: 0, closed: 0 };
    const now = this.deps.clock.now();
    const conditions = [
      ...(status.dga === undefined ? [] : await dgaConditions(config, status.dga, now)),
      ...(status.anchor === undefined ? [] : await anchorConditions(config, status.anchor, now)),
    ];
    const open = new Map<string, Alert>();
    for (const a of await this.deps.store.alerts({ state: 'open', limit: 10_000 }))
      if ((STATUS_KINDS as readonly string[]).includes(a.kind)) open.set(a.family, a);
    let opened = 0;
    let closed = 0;
    const current = new Set<string>();
    for (const c of conditions) {
      current.add(c.family);
      if (open.has(c.family)) continue;
      // An event without an end (a reorg) is one alert for good; a condition may come back later.
      const id = c.closesWhenGone ? `${c.family}:${now}` : c.family;
      const alert: NewAlert = {
        id,
        family: c.family,
        kind: c.kind,
        severity: c.severity,
        gateway: null,
        device: null,
        channel: null,
        obra: c.obra,
        ownerGateway: c.ownerGateway,
        title: c.title,
        facts: c.facts,
        openedAt: now,
      };
      if (await this.open(alert, true)) opened += 1;
    }
    for (const [family, a] of open) if (!current.has(family) && a.kind !== 'anchor_reorg' && (await this.close(a, now))) closed += 1;
    return { opened, closed };
  }

  private async open(alert: NewAlert, notify: boolean): Promise<boolean> {
    const plan = await planOpen(this.ctx, alert, alert.openedAt, notify);
    const opened = await this.deps.store.openAlert(alert, plan.routes, plan.messages, this.deps.instance);
    if (opened) this.logger.info({ alert: alert.id, severity: alert.severity, messages: plan.messages.length }, 'alert opened');
    return opened;
  }

  private async close(alert: Alert, now: number, pagedLocally = false): Promise<boolean> {
    const messages = pagedLocally ? [] : await planClose(this.ctx, alert, await this.deps.store.routes(alert.id), now);
    const closed = await this.deps.store.closeAlert(alert.id, now, messages, this.deps.instance);
    if (closed) this.logger.info({ alert: alert.id, messages: messages.length }, 'alert closed');
    return closed;
  }

  private async advance(): Promise<number> {
    const now = this.deps.clock.now();
    let advanced = 0;
    for (const route of await this.deps.store.dueRoutes(now, 500)) {
      const alert = await this.deps.store.alert(route.alertId);
      if (alert === undefined) continue;
      const { after, messages } = await planAdvance(this.ctx, alert, route, now);
      if (await this.deps.store.advanceRoute(route, after, messages, now, this.deps.instance)) {
        advanced += 1;
        if (after.level > route.level) this.logger.info({ alert: alert.id, rule: route.rule, level: after.level }, 'alert escalated');
      }
    }
    return advanced;
  }

  /** Held messages of a (channel, address, rule) become one digest once the oldest has waited a window. */
  private async flushDigests(): Promise<number> {
    const now = this.deps.clock.now();
    const windowMs = this.deps.config.digest.windowMinutes * 60_000;
    const done = new Set<string>();
    let digests = 0;
    for (const h of await this.deps.store.held(now - windowMs, 1000)) {
      const k = `${h.channel}\u0000${h.address}\u0000${h.rule}`;
      if (done.has(k)) continue;
      done.add(k);
      const all = await this.deps.store.heldOf(h.channel, h.address, h.rule, 100_000);
      if (all.length === 0) continue;
      await this.deps.store.digest(
        digestMessage(all, now),
        all.map((m) => m.id),
        now,
        this.deps.instance,
      );
      digests += 1;
    }
    return digests;
  }

  /** Acknowledges an alert (link, API, CLI): stops its escalation and reminders; closes alerts that have no end of their own (integrity). */
  async ack(id: string, by: string): Promise<'acked' | 'already' | 'unknown'> {
    const alert = await this.deps.store.alert(id);
    if (alert === undefined) return 'unknown';
    const result = await this.deps.store.ack(id, by, this.deps.clock.now(), alert.kind === 'integrity' || alert.kind === 'anchor_reorg', this.deps.instance);
    if (result === 'acked') this.logger.info({ alert: id, by }, 'alert acknowledged');
    return result;
  }
}
