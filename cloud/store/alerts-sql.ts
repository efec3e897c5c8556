/**
 * The alerts store's SQL, one text for both backends (sql-executor.ts): `$1…$n` parameters,
 * quoted camelCase aliases. The claim is the one dialect difference: FOR UPDATE SKIP LOCKED on
 * PostgreSQL, so relays sharing a database never wait on, nor take, each other's row.
 */
import { kindLiteral } from './records-codec.ts';
import type { Dialect } from './sql-executor.ts';

export const ALERT_COLUMNS = `id, family, kind, severity, gateway, device, channel, obra, title, facts, state, opened_at AS "openedAt",
  closed_at AS "closedAt", acked_at AS "ackedAt", acked_by AS "ackedBy", updated_at AS "updatedAt", org_id AS "orgId"`;

const ROUTE_COLUMNS = `alert_id AS "alertId", rule, level, escalate_at AS "escalateAt", remind_at AS "remindAt", reminders, created_at AS "createdAt"`;

export const OUTBOX_COLUMNS = `id, key, alert_id AS "alertId", rule, message_kind AS "messageKind", grp AS "group", recipient, channel, address, severity,
  payload, state, attempts, next_attempt_at AS "nextAttemptAt", leased_by AS "leasedBy", created_at AS "createdAt", updated_at AS "updatedAt",
  sent_at AS "sentAt", provider_id AS "providerId", last_code AS "lastCode", last_detail AS "lastDetail", digest_id AS "digestId"`;

const DELIVERY_COLUMNS = `id, outbox_id AS "outboxId", alert_id AS "alertId", at, outcome, attempt, code, detail, instance`;

/** Alarm records after a (received_at, gateway, seq) key; the kind as each backend stores it (records-codec.ts). */
export function alarmRecordsSinceSql(dialect: Dialect): string {
  return `SELECT gateway, seq, device, channel, value, unit, coalesce(ts_corrected, ts) AS ts, received_at AS "receivedAt", alarm FROM records
    WHERE kind = ${kindLiteral('alarm', dialect)} AND (received_at, gateway, seq) > ($1, $2, $3) ORDER BY received_at, gateway, seq LIMIT $4`;
}

export const ALERTS_SQL = {
  integrityAfter: 'SELECT id, gateway, seq, at FROM integrity_alarms WHERE id > $1 ORDER BY id LIMIT $2',

  cursor: 'SELECT value FROM alert_cursors WHERE name = $1',
  cursorsWithPrefix: 'SELECT name, value FROM alert_cursors WHERE substr(name, 1, length($1)) = $1 AND value > 0 ORDER BY name',
  setCursor: 'INSERT INTO alert_cursors (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value',

  // org_id: the organization of the alert's gateway ($12: its own or its obra's), issue 15.
  insertAlert: `INSERT INTO alerts (id, family, kind, severity, gateway, device, channel, obra, title, facts, state, opened_at, updated_at, org_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $11, (SELECT org_id FROM gateways WHERE id = $12)) ON CONFLICT (id) DO NOTHING`,
  alert: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = $1`,
  openOfFamily: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE family = $1 AND state = 'open' ORDER BY opened_at DESC LIMIT 1`,
  latestOfFamily: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE family = $1 ORDER BY opened_at DESC LIMIT 1`,
  lastRouted: `SELECT max(r.created_at) AS "at" FROM alert_routes r JOIN alerts a ON a.id = r.alert_id WHERE a.family = $1 AND r.rule = $2`,
  closeAlert: `UPDATE alerts SET state = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1 AND state = 'open'`,
  stopRoutes: 'UPDATE alert_routes SET escalate_at = NULL, remind_at = NULL WHERE alert_id = $1',
  ackAlert: 'UPDATE alerts SET acked_at = $2, acked_by = $3, updated_at = $2 WHERE id = $1 AND acked_at IS NULL',
  ackClose: `UPDATE alerts SET state = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1 AND state = 'open'`,
  /** Reminders and escalations not yet sent stop with the ack; opened and closed messages go. */
  cancelPending: `UPDATE alert_outbox SET state = 'cancelled', updated_at = $2 WHERE alert_id = $1 AND message_kind IN ('reminder', 'escalation')
    AND state IN ('queued', 'held') RETURNING id, attempts`,
  cancelKind: `UPDATE alert_outbox SET state = 'cancelled', updated_at = $2 WHERE alert_id = $1 AND message_kind = $3
    AND state IN ('queued', 'held') RETURNING id, attempts`,
  /** Newest first, keyset by (opened_at, id): a storm opens thousands in the same millisecond. */
  alertsAll: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE (opened_at, id) < ($1, $2) ORDER BY opened_at DESC, id DESC LIMIT $3`,
  alertsByState: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE state = $4 AND (opened_at, id) < ($1, $2) ORDER BY opened_at DESC, id DESC LIMIT $3`,
  // One organization's (issue 15): the indexes alerts_org_opened and alerts_org_state_opened.
  alertsOrgAll: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE org_id = $4 AND (opened_at, id) < ($1, $2) ORDER BY opened_at DESC, id DESC LIMIT $3`,
  alertsOrgByState: `SELECT ${ALERT_COLUMNS} FROM alerts WHERE org_id = $5 AND state = $4 AND (opened_at, id) < ($1, $2)
    ORDER BY opened_at DESC, id DESC LIMIT $3`,

  insertRoute: `INSERT INTO alert_routes (alert_id, rule, level, escalate_at, remind_at, reminders, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (alert_id, rule) DO NOTHING`,
  routes: `SELECT ${ROUTE_COLUMNS} FROM alert_routes WHERE alert_id = $1 ORDER BY rule`,
  dueRoutes: `SELECT r.alert_id AS "alertId", r.rule, r.level, r.escalate_at AS "escalateAt", r.remind_at AS "remindAt", r.reminders, r.created_at AS "createdAt" FROM alert_routes r JOIN alerts a ON a.id = r.alert_id
    WHERE (r.escalate_at <= $1 OR r.remind_at <= $1) AND a.state = 'open' AND a.acked_at IS NULL ORDER BY r.alert_id, r.rule LIMIT $2`,
  advanceRoute: `UPDATE alert_routes SET level = $3, escalate_at = $4, remind_at = $5, reminders = $6
    WHERE alert_id = $1 AND rule = $2 AND level = $7 AND reminders = $8`,

  insertMessage: `INSERT INTO alert_outbox (key, alert_id, rule, message_kind, grp, recipient, channel, address, severity, payload, state, next_attempt_at,
    created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT (key) DO NOTHING RETURNING id`,
  recentCount: `SELECT count(*) AS n FROM alert_outbox WHERE channel = $1 AND address = $2 AND rule = $3 AND created_at >= $4
    AND message_kind <> 'digest' AND state <> 'cancelled'`,
  held: `SELECT ${OUTBOX_COLUMNS} FROM alert_outbox WHERE state = 'held' AND created_at < $1 ORDER BY created_at, id LIMIT $2`,
  heldOf: `SELECT ${OUTBOX_COLUMNS} FROM alert_outbox WHERE channel = $1 AND address = $2 AND rule = $3 AND state = 'held' ORDER BY id LIMIT $4`,
  markDigested: `UPDATE alert_outbox SET state = 'digested', digest_id = $2, updated_at = $3 WHERE id = $1 AND state = 'held' RETURNING alert_id AS "alertId", attempts`,
  finishSent: `UPDATE alert_outbox SET state = 'sent', sent_at = $3, updated_at = $3, provider_id = $4, leased_by = NULL, last_code = NULL, last_detail = NULL
    WHERE id = $1 AND leased_by = $2 AND state = 'sending' RETURNING alert_id AS "alertId"`,
  finishFailed: `UPDATE alert_outbox SET state = $4, next_attempt_at = $5, updated_at = $3, leased_by = NULL, last_code = $6, last_detail = $7
    WHERE id = $1 AND leased_by = $2 AND state = 'sending' RETURNING alert_id AS "alertId"`,
  outbox: `SELECT ${OUTBOX_COLUMNS} FROM alert_outbox WHERE alert_id = $1 ORDER BY id`,
  deliveries: `SELECT ${DELIVERY_COLUMNS} FROM alert_deliveries WHERE alert_id = $1 ORDER BY id DESC LIMIT $2`,
  deliveriesOfKey: `SELECT d.id, d.outbox_id AS "outboxId", d.alert_id AS "alertId", d.at, d.outcome, d.attempt, d.code, d.detail, d.instance FROM alert_deliveries d
    JOIN alert_outbox o ON o.id = d.outbox_id WHERE o.key = $1 ORDER BY d.id`,
  appendDelivery: 'INSERT INTO alert_deliveries (outbox_id, alert_id, at, outcome, attempt, code, detail, instance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
  deliveryCounts: 'SELECT channel, state, count(*) AS n FROM alert_outbox GROUP BY channel, state',
  openCounts: `SELECT kind, severity, count(*) AS n FROM alerts WHERE state = 'open' GROUP BY kind, severity`,
} as const;

/**
 * The claim: the oldest due message of a channel (queued and due, or sending with its lease over).
 * The outer condition repeats the inner one: a row another relay claimed between the pick and the
 * update is not taken again (PostgreSQL re-checks the outer WHERE on the locked row).
 */
export function claimSql(dialect: Dialect): string {
  const pick = `SELECT id FROM alert_outbox WHERE channel = $1 AND state IN ('queued', 'sending') AND next_attempt_at <= $2
    ORDER BY next_attempt_at, id LIMIT 1${dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}`;
  return `UPDATE alert_outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = $3, leased_by = $4, updated_at = $2
    WHERE id = (${pick}) AND state IN ('queued', 'sending') AND next_attempt_at <= $2 RETURNING ${OUTBOX_COLUMNS}`;
}

/** Delivery counts per alert and outbox state, for `ids.length` alerts. */
export function summariesSql(ids: number): string {
  const list = Array.from({ length: ids }, (_, i) => `$${i + 1}`).join(', ');
  return `SELECT alert_id AS "alertId", state, count(*) AS n FROM alert_outbox WHERE alert_id IN (${list}) GROUP BY alert_id, state`;
}
