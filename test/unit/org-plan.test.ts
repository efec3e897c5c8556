import type Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ALERTS_SQL } from '../../cloud/store/alerts-sql.ts';
import { encodeCursor, recordQuerySql } from '../../cloud/store/cursor.ts';
import { SQLITE_RECORDS_SQL } from '../../cloud/store/records-sql.ts';
import { toNamed } from '../../cloud/store/sql-sqlite.ts';
import type { ReadingsQuery } from '../../cloud/store/types.ts';
import { relayPlanDb } from '../helpers/relay-plan-db.ts';

/**
 * Issue 15: an organization's reads (SQLite) take the same index as the owner's, the organization
 * only adds a probe of gateways_org; records need no new index and are never sorted.
 * test/integration/org-plan-postgres.test.ts checks PostgreSQL's plans on loaded tables.
 */
const planDb = relayPlanDb();
const db = (): Sqlite.Database => planDb.db();

function plan(sql: string, params?: readonly unknown[]): string[] {
  const named = toNamed(sql);
  const statement = db().prepare(`EXPLAIN QUERY PLAN ${params === undefined ? named : sql}`);
  const rows =
    params !== undefined ? statement.all(...params) : statement.all(Object.fromEntries([...new Set(named.match(/@p\d+/g) ?? [])].map((p) => [p.slice(1), 1])));
  return (rows as { detail: string }[]).map((row) => row.detail);
}

/** The organization's part of a plan: its gateways through their index, as a list (plus SQLite's Bloom filter on it). */
const ORG_PART = [/^LIST SUBQUERY \d+$/, /^SEARCH gateways USING COVERING INDEX gateways_org \(org_id=\?\)$/, /^CREATE BLOOM FILTER$/];

const cursor = encodeCursor({ time: 5, gateway: 'gw', seq: 7 });
const shapes: Array<[string, Omit<ReadingsQuery, 'limit' | 'org'>, RegExp]> = [
  [
    'a channel series',
    { gateway: 'g', device: 'd', channel: 'c' },
    /^SEARCH records USING INDEX records_channel_time \(gateway=\? AND device=\? AND channel=\?\)$/,
  ],
  // A gateway's page without a series is merged from its series on SQLite (records v2,
  // test/unit/store-sqlite-plan.test.ts); each series query keeps the organization's list as a filter.
  [
    "a gateway's series, next page",
    { gateway: 'g', device: 'd', channel: 'c', cursor, to: 9 },
    /^SEARCH records USING INDEX records_channel_time \(gateway=\? AND device=\? AND channel=\? AND record_time>\? AND record_time<\?\)$/,
  ],
  ["a gateway's alarms", { gateway: 'g', kind: 'alarm', from: 1 }, /^SEARCH records USING INDEX records_gateway_alarm_time \(gateway=\? AND record_time>\?\)$/],
  ['its gateways in a window', { from: 1, to: 9 }, /^SEARCH records USING INDEX records_time \(record_time>\? AND record_time<\?\)$/],
  ['its gateways, next page', { from: 1, cursor }, /^SEARCH records USING INDEX records_time \(record_time>\?\)$/],
  ['its alarms, next page', { kind: 'alarm', cursor }, /^SEARCH records USING INDEX records_alarm_time \(record_time>\?\)$/],
  // No filter: the owner's ordered walk of the time index, stopping at LIMIT; the gateway list is
  // checked on the index entry, before the row is read.
  ['everything it has', {}, /^SCAN records USING INDEX records_time$/],
  ['all its alarms', { kind: 'alarm' }, /^SCAN records USING INDEX records_alarm_time$/],
];

describe('organization-scoped reads (SQLite) query plans', () => {
  it.each(shapes)('queryRecords for %s: the same index as the owner, plus gateways_org', (_name, query, expected) => {
    const { sql, params } = recordQuerySql({ ...query, org: 'a', limit: 100 }, () => '?', 'sqlite');
    const details = plan(sql, params);
    const owner = recordQuerySql({ ...query, limit: 100 }, () => '?', 'sqlite');
    expect(details[0]).toMatch(expected);
    expect(details[0]).toBe(plan(owner.sql, owner.params)[0]);
    expect(
      details.slice(1).every((d) => ORG_PART.some((re) => re.test(d))),
      details.join('\n'),
    ).toBe(true);
    expect(details.filter((d) => d.includes('TEMP B-TREE'))).toEqual([]);
  });

  it('without the unary + the planner would sort every row of the organization', () => {
    const { sql, params } = recordQuerySql({ org: 'a', limit: 100 }, () => '?', 'sqlite');
    expect(plan(sql.replace('+gateway IN', 'gateway IN'), params).some((d) => d.includes('TEMP B-TREE'))).toBe(true);
  });

  it.each([
    ['listOrgGateways', SQLITE_RECORDS_SQL.listOrgGateways, /^SEARCH gateways USING INDEX gateways_org \(org_id=\?\)$/],
    ['alertsOrgAll', ALERTS_SQL.alertsOrgAll, /^SEARCH alerts USING INDEX alerts_org_opened \(org_id=\? AND \(opened_at,id\)<\(\?,\?\)\)$/],
    [
      'alertsOrgByState',
      ALERTS_SQL.alertsOrgByState,
      /^SEARCH alerts USING INDEX alerts_org_state_opened \(org_id=\? AND state=\? AND \(opened_at,id\)<\(\?,\?\)\)$/,
    ],
  ])('%s reads one organization through its index, unsorted', (_name, sql, expected) => {
    const details = plan(sql);
    expect(details[0]).toMatch(expected);
    expect(details.filter((d) => /^SCAN /.test(d) || d.includes('TEMP B-TREE'))).toEqual([]);
  });

  it("an organization's integrity alarms: newest first by id, its gateways as a list", () => {
    const details = plan(SQLITE_RECORDS_SQL.listOrgIntegrityAlarms);
    expect(details[0]).toMatch(/^SCAN integrity_alarms$/);
    expect(
      details.slice(1).every((d) => ORG_PART.some((re) => re.test(d))),
      details.join('\n'),
    ).toBe(true);
  });
});
