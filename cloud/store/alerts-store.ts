/**
 * AlertsStore over the relay's SQL executor: the same statements and transactions on SQLite and
 * PostgreSQL (alerts-types.ts states the guarantees across relays). Every change to a message is
 * logged in alert_deliveries in the same transaction.
 */
import type { Severity } from '../../platform/notify/types.ts';
import { alarmRecordsSinceSql, claimSql, ALERTS_SQL as S, summariesSql } from './alerts-sql.ts';
import type {
  AlarmRecordRow,
  Alert,
  AlertState,
  AlertsStore,
  Delivery,
  DeliveryCount,
  DeliveryOutcomeKind,
  FinishInput,
  MessageKind,
  NewAlert,
  NewMessage,
  OutboxMessage,
  Route,
} from './alerts-types.ts';
import type { Query, SqlExecutor } from './sql-executor.ts';

type AlertRow = Omit<Alert, 'facts'> & { facts: string };

const decodeAlert = (r: AlertRow): Alert => ({ ...r, facts: JSON.parse(r.facts) as Alert['facts'] });

const n = (v: unknown): number => Number(v);

async function log(
  q: Query,
  outboxId: number,
  alertId: string | null,
  at: number,
  outcome: DeliveryOutcomeKind,
  attempt: number,
  instance: string,
  code: string | null = null,
  detail: string | null = null,
): Promise<void> {
  await q(S.appendDelivery, [outboxId, alertId, at, outcome, attempt, code, detail, instance]);
}

async function insertMessages(q: Query, messages: readonly NewMessage[], now: number, instance: string): Promise<number> {
  let inserted = 0;
  for (const m of messages) {
    const row = (
      await q<{ id: number }>(S.insertMessage, [
        m.key,
        m.alertId,
        m.rule,
        m.messageKind,
        m.group,
        m.recipient,
        m.channel,
        m.address,
        m.severity,
        m.payload,
        m.state,
        m.nextAttemptAt,
        now,
      ])
    ).rows[0];
    if (row === undefined) continue;
    inserted += 1;
    await log(q, n(row.id), m.alertId, now, m.state === 'held' ? 'held' : 'queued', 0, instance);
  }
  return inserted;
}

export class SqlAlertsStore implements AlertsStore {
  constructor(private readonly db: SqlExecutor) {}

  async alarmRecordsAfter(after: { receivedAt: number; gateway: string; seq: number }, limit: number): Promise<AlarmRecordRow[]> {
    return (await this.db.query<AlarmRecordRow>(alarmRecordsSinceSql(this.db.dialect), [after.receivedAt, after.gateway, after.seq, limit])).rows;
  }

  async integrityAlarmsAfter(afterId: number, limit: number): Promise<Array<{ id: number; gateway: string; seq: number; at: number }>> {
    return (await this.db.query<{ id: number; gateway: string; seq: number; at: number }>(S.integrityAfter, [afterId, limit])).rows;
  }

  async cursor(name: string): Promise<number> {
    return n((await this.db.query<{ value: number }>(S.cursor, [name])).rows[0]?.value ?? 0);
  }

  async setCursor(name: string, value: number): Promise<void> {
    await this.db.query(S.setCursor, [name, value]);
  }

  async cursorsWithPrefix(prefix: string): Promise<Array<{ name: string; value: number }>> {
    // substr, not a range or LIKE: the same on both backends whatever PostgreSQL's collation (a few rows).
    const rows = (await this.db.query<{ name: string; value: number }>(S.cursorsWithPrefix, [prefix])).rows;
    return rows.map((r) => ({ name: r.name, value: n(r.value) }));
  }

  async openAlert(a: NewAlert, routes: readonly Route[], messages: readonly NewMessage[], instance: string): Promise<boolean> {
    return (await this.openAlerts([{ alert: a, routes, messages }], instance))[0] ?? false;
  }

  openAlerts(
    items: ReadonlyArray<{ readonly alert: NewAlert; readonly routes: readonly Route[]; readonly messages: readonly NewMessage[] }>,
    instance: string,
  ): Promise<boolean[]> {
    return this.db.transaction('openAlerts', async (q) => {
      const opened: boolean[] = [];
      for (const { alert: a, routes, messages } of items) {
        const owner = a.gateway ?? a.ownerGateway ?? null;
        const params = [a.id, a.family, a.kind, a.severity, a.gateway, a.device, a.channel, a.obra, a.title, JSON.stringify(a.facts), a.openedAt, owner];
        if ((await q(S.insertAlert, params)).count !== 1) {
          opened.push(false);
          continue;
        }
        for (const r of routes) await q(S.insertRoute, [r.alertId, r.rule, r.level, r.escalateAt, r.remindAt, r.reminders, r.createdAt]);
        await insertMessages(q, messages, a.openedAt, instance);
        opened.push(true);
      }
      return opened;
    });
  }

  async openOfFamily(family: string): Promise<Alert | undefined> {
    const row = (await this.db.query<AlertRow>(S.openOfFamily, [family])).rows[0];
    return row === undefined ? undefined : decodeAlert(row);
  }

  async latestOfFamily(family: string): Promise<Alert | undefined> {
    const row = (await this.db.query<AlertRow>(S.latestOfFamily, [family])).rows[0];
    return row === undefined ? undefined : decodeAlert(row);
  }

  async lastRouted(family: string, rule: string): Promise<number | undefined> {
    const at = (await this.db.query<{ at: number | null }>(S.lastRouted, [family, rule])).rows[0]?.at;
    return at === null || at === undefined ? undefined : n(at);
  }

  closeAlert(id: string, now: number, messages: readonly NewMessage[], instance: string): Promise<boolean> {
    return this.db.transaction('closeAlert', async (q) => {
      if ((await q(S.closeAlert, [id, now])).count !== 1) return false;
      await q(S.stopRoutes, [id]);
      await this.cancelPending(q, id, now, instance);
      await insertMessages(q, messages, now, instance);
      return true;
    });
  }

  ack(id: string, by: string, now: number, close: boolean, instance: string): Promise<'acked' | 'already' | 'unknown'> {
    return this.db.transaction('ackAlert', async (q) => {
      if ((await q(S.alert, [id])).rows.length === 0) return 'unknown';
      if ((await q(S.ackAlert, [id, now, by])).count !== 1) return 'already';
      await q(S.stopRoutes, [id]);
      await this.cancelPending(q, id, now, instance);
      if (close) await q(S.ackClose, [id, now]);
      return 'acked';
    });
  }

  cancelQueued(alertId: string, kind: MessageKind, now: number, instance: string): Promise<number> {
    return this.db.transaction('cancelQueued', async (q) => {
      const rows = (await q<{ id: number; attempts: number }>(S.cancelKind, [alertId, now, kind])).rows;
      for (const r of rows) await log(q, n(r.id), alertId, now, 'cancelled', n(r.attempts), instance);
      return rows.length;
    });
  }

  private async cancelPending(q: Query, id: string, now: number, instance: string): Promise<void> {
    for (const r of (await q<{ id: number; attempts: number }>(S.cancelPending, [id, now])).rows)
      await log(q, n(r.id), id, now, 'cancelled', n(r.attempts), instance);
  }

  async alert(id: string): Promise<Alert | undefined> {
    const row = (await this.db.query<AlertRow>(S.alert, [id])).rows[0];
    return row === undefined ? undefined : decodeAlert(row);
  }

  async alerts(o: {
    readonly state?: AlertState;
    readonly limit: number;
    readonly before?: { readonly openedAt: number; readonly id: string };
    /** Only this organization's alerts (issue 15); absent: every alert. */
    readonly org?: string;
  }): Promise<Alert[]> {
    const b = o.before ?? { openedAt: Number.MAX_SAFE_INTEGER, id: '' };
    const before = [b.openedAt, b.id];
    const sql = o.org === undefined ? (o.state === undefined ? S.alertsAll : S.alertsByState) : o.state === undefined ? S.alertsOrgAll : S.alertsOrgByState;
    const params = o.state === undefined ? [...before, o.limit] : [...before, o.limit, o.state];
    const rows = await this.db.query<AlertRow>(sql, o.org === undefined ? params : [...params, o.org]);
    return rows.rows.map(decodeAlert);
  }

  async routes(alertId: string): Promise<Route[]> {
    return (await this.db.query<Route>(S.routes, [alertId])).rows;
  }

  async dueRoutes(now: number, limit: number): Promise<Route[]> {
    return (await this.db.query<Route>(S.dueRoutes, [now, limit])).rows;
  }

  advanceRoute(before: Route, after: Route, messages: readonly NewMessage[], now: number, instance: string): Promise<boolean> {
    return this.db.transaction('advanceRoute', async (q) => {
      const params = [before.alertId, before.rule, after.level, after.escalateAt, after.remindAt, after.reminders, before.level, before.reminders];
      if ((await q(S.advanceRoute, params)).count !== 1) return false;
      await insertMessages(q, messages, now, instance);
      return true;
    });
  }

  async recentCount(channel: string, address: string, rule: string, since: number): Promise<number> {
    return n((await this.db.query<{ n: number }>(S.recentCount, [channel, address, rule, since])).rows[0]?.n ?? 0);
  }

  enqueue(messages: readonly NewMessage[], now: number, instance: string): Promise<number> {
    return this.db.transaction('enqueue', (q) => insertMessages(q, messages, now, instance));
  }

  async held(before: number, limit: number): Promise<OutboxMessage[]> {
    return (await this.db.query<OutboxMessage>(S.held, [before, limit])).rows.map(decodeMessage);
  }

  async heldOf(channel: string, address: string, rule: string, limit: number): Promise<OutboxMessage[]> {
    return (await this.db.query<OutboxMessage>(S.heldOf, [channel, address, rule, limit])).rows.map(decodeMessage);
  }

  async digest(message: NewMessage, heldIds: readonly number[], now: number, instance: string): Promise<void> {
    await this.db.transaction('digest', async (q) => {
      const row = (
        await q<{ id: number }>(S.insertMessage, [
          message.key,
          message.alertId,
          message.rule,
          message.messageKind,
          message.group,
          message.recipient,
          message.channel,
          message.address,
          message.severity,
          message.payload,
          message.state,
          message.nextAttemptAt,
          now,
        ])
      ).rows[0];
      if (row === undefined) return;
      await log(q, n(row.id), null, now, 'queued', 0, instance);
      for (const id of heldIds) {
        const held = (await q<{ alertId: string | null; attempts: number }>(S.markDigested, [id, n(row.id), now])).rows[0];
        if (held !== undefined) await log(q, id, held.alertId, now, 'digested', n(held.attempts), instance, null, `digest ${n(row.id)}`);
      }
    });
  }

  async claim(channel: string, now: number, leaseMs: number, instance: string): Promise<OutboxMessage | undefined> {
    const row = (await this.db.query<OutboxMessage>(claimSql(this.db.dialect), [channel, now, now + leaseMs, instance])).rows[0];
    return row === undefined ? undefined : decodeMessage(row);
  }

  finish(input: FinishInput, instance: string): Promise<boolean> {
    return this.db.transaction('finishMessage', async (q) => {
      const res =
        input.outcome === 'sent'
          ? await q<{ alertId: string | null }>(S.finishSent, [input.id, input.leasedBy, input.now, input.providerId])
          : await q<{ alertId: string | null }>(S.finishFailed, [
              input.id,
              input.leasedBy,
              input.now,
              input.outcome === 'failed' ? 'queued' : 'given_up',
              input.nextAttemptAt,
              input.code,
              input.detail,
            ]);
      const row = res.rows[0];
      if (row === undefined) return false;
      if (input.outcome === 'sent') await log(q, input.id, row.alertId, input.now, 'sent', input.attempt, instance, null, input.providerId);
      else await log(q, input.id, row.alertId, input.now, input.outcome, input.attempt, instance, input.code, input.detail);
      return true;
    });
  }

  async outbox(alertId: string): Promise<OutboxMessage[]> {
    return (await this.db.query<OutboxMessage>(S.outbox, [alertId])).rows.map(decodeMessage);
  }

  async deliveries(alertId: string, limit: number): Promise<Delivery[]> {
    return (await this.db.query<Delivery>(S.deliveries, [alertId, limit])).rows.map(decodeDelivery);
  }

  async deliveriesOfKey(key: string): Promise<Delivery[]> {
    return (await this.db.query<Delivery>(S.deliveriesOfKey, [key])).rows.map(decodeDelivery);
  }

  async deliveryCounts(): Promise<DeliveryCount[]> {
    return (await this.db.query<DeliveryCount>(S.deliveryCounts, [])).rows.map((r) => ({ ...r, n: n(r.n) }));
  }

  async deliverySummaries(alertIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    if (alertIds.length === 0) return out;
    for (const r of (await this.db.query<{ alertId: string; state: string; n: number }>(summariesSql(alertIds.length), alertIds)).rows) {
      const entry = out.get(r.alertId) ?? {};
      entry[r.state] = n(r.n);
      out.set(r.alertId, entry);
    }
    return out;
  }

  async openCounts(): Promise<Array<{ kind: string; severity: Severity; n: number }>> {
    return (await this.db.query<{ kind: string; severity: Severity; n: number }>(S.openCounts, [])).rows.map((r) => ({ ...r, n: n(r.n) }));
  }
}

function decodeMessage(r: OutboxMessage): OutboxMessage {
  return {
    ...r,
    id: n(r.id),
    attempts: n(r.attempts),
    nextAttemptAt: n(r.nextAttemptAt),
    createdAt: n(r.createdAt),
    updatedAt: n(r.updatedAt),
    digestId: r.digestId === null ? null : n(r.digestId),
  };
}

function decodeDelivery(r: Delivery): Delivery {
  return { ...r, id: n(r.id), outboxId: n(r.outboxId) };
}
