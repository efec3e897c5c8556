import type Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { encodeCursor, recordQuerySql } from '../../cloud/store/cursor.ts';
import { GATEWAY_PAGE_SQL, mergesChannels } from '../../cloud/store/gateway-page.ts';
import { SQLITE_RECORDS_SQL as SQLITE_SQL } from '../../cloud/store/records-sql.ts';
import { toNamed } from '../../cloud/store/sql-sqlite.ts';
import type { ReadingsQuery } from '../../cloud/store/types.ts';
import { relayPlanDb } from '../helpers/relay-plan-db.ts';

/**
 * Every relay statement that runs per record or per request reaches the records through an index
 * (EXPLAIN QUERY PLAN says SEARCH … USING …, docs/storage.md#query-plans) and never sorts: a page
 * of queryRecords comes straight off an index in (time, gateway, seq) order and stops at LIMIT.
 */
const planDb = relayPlanDb();
const db = (): Sqlite.Database => planDb.db();

function plan(sql: string, params: readonly unknown[] | Record<string, unknown>): string[] {
  const statement = db().prepare(`EXPLAIN QUERY PLAN ${toNamed(sql)}`);
  const rows = Array.isArray(params) ? statement.all(...params) : statement.all(params);
  return (rows as { detail: string }[]).map((row) => row.detail);
}

/** Binds 1 to every parameter, positional or `$n` (bound by name, as sql-sqlite.ts does). */
function dummyParams(sql: string): readonly unknown[] | Record<string, unknown> {
  const named = toNamed(sql).match(/@\w+/g);
  if (named !== null) return Object.fromEntries(named.map((name) => [name.slice(1), 1]));
  return (sql.match(/\?/g) ?? []).map(() => 1);
}

const noSortNoScan = (details: readonly string[]): string[] => details.filter((d) => /^SCAN /.test(d) || d.includes('USE TEMP B-TREE'));

// listGateways and listIntegrityAlarms (also an organization's, test/unit/org-plan.test.ts) read a whole small table (or its newest rows by rowid) on
// an operator's request; everything else runs per record, per batch or per signed request.
const perRequest = Object.entries(SQLITE_SQL).filter(([name]) => !['listGateways', 'listIntegrityAlarms', 'listOrgIntegrityAlarms'].includes(name));

describe('relay store (SQLite) query plans', () => {
  it.each(perRequest)('%s scans no table and sorts nothing', (_name, sql) => {
    expect(noSortNoScan(plan(sql, dummyParams(sql)))).toEqual([]);
  });

  it('the per-record duplicate check is a primary-key lookup', () => {
    expect(plan(SQLITE_SQL.recordHash, { p1: 1, p2: 1 })).toEqual(['SEARCH records USING PRIMARY KEY (gateway=? AND seq=?)']);
  });

  const cursor = encodeCursor({ time: 5, gateway: 'gw', seq: 7 });
  const shapes: Array<[string, Omit<ReadingsQuery, 'limit'>, RegExp]> = [
    [
      'a channel series',
      { gateway: 'g', device: 'd', channel: 'c' },
      /^SEARCH records USING INDEX records_channel_time \(gateway=\? AND device=\? AND channel=\?\)$/,
    ],
    [
      'a channel series, next page in a window',
      { gateway: 'g', device: 'd', channel: 'c', from: 1, to: 9, cursor },
      /^SEARCH records USING INDEX records_channel_time \(gateway=\? AND device=\? AND channel=\? AND record_time>\? AND record_time<\?\)$/,
    ],
    // Records v2: a device or channel without its gateway walks the time index, checked on each row.
    ['a device anywhere, in a window', { device: 'd', from: 1, to: 9 }, /^SEARCH records USING INDEX records_time \(record_time>\? AND record_time<\?\)$/],
    [
      "a channel's readings in a window (DGA)",
      { gateway: 'g', device: 'd', channel: 'c', kind: 'reading', from: 1, to: 9 },
      /^SEARCH records USING INDEX records_channel_time \(gateway=\? AND device=\? AND channel=\? AND record_time>\? AND record_time<\?\)$/,
    ],
    [
      "a gateway's alarms",
      { gateway: 'g', kind: 'alarm', from: 1 },
      /^SEARCH records USING INDEX records_gateway_alarm_time \(gateway=\? AND record_time>\?\)$/,
    ],
    ['all gateways in a window', { from: 1, to: 9 }, /^SEARCH records USING INDEX records_time \(record_time>\? AND record_time<\?\)$/],
    ['all gateways, next page', { from: 1, cursor }, /^SEARCH records USING INDEX records_time \(record_time>\?\)$/],
    ['all alarms, next page', { kind: 'alarm', cursor }, /^SEARCH records USING INDEX records_alarm_time \(record_time>\?\)$/],
    // No filter at all: an ordered walk of the time index that stops at LIMIT.
    ['everything', {}, /^SCAN records USING INDEX records_time$/],
  ];

  // Records v2 keeps no (gateway, time) index: a gateway's page without a series is merged from its
  // series (cloud/store/gateway-page.ts), each step a range of records_channel_time or the primary key.
  it.each<[string, Omit<ReadingsQuery, 'limit'>]>([
    ['a gateway', { gateway: 'g' }],
    ['a gateway, next page', { gateway: 'g', cursor, to: 9 }],
    ["a gateway's device in a window", { gateway: 'g', device: 'd', from: 1, to: 9 }],
    ["a gateway's channel on any device", { gateway: 'g', channel: 'c', kind: 'reading' }],
  ])('queryRecords for %s merges the series of its channels', (_name, query) => {
    expect(mergesChannels({ ...query, limit: 100 })).toBe(true);
    const { sql, params } = recordQuerySql({ ...query, device: 'd', channel: 'c', limit: 100 }, () => '?', 'sqlite', 'record_time AS t, seq');
    const details = plan(sql, params);
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(
      /^SEARCH records USING (COVERING )?INDEX records_channel_time \(gateway=\? AND device=\? AND channel=\?( AND record_time>\?)?( AND record_time<\?)?\)$/,
    );
  });

  it("the gateway page's pairs are index seeks and its rows primary-key lookups", () => {
    for (const sql of [GATEWAY_PAGE_SQL.pairs, GATEWAY_PAGE_SQL.devicePairs]) {
      const onRecords = plan(sql, dummyParams(sql)).filter((d) => d.includes('records'));
      expect(onRecords.length).toBeGreaterThan(0);
      for (const d of onRecords)
        expect(d).toMatch(/^SEARCH records USING COVERING INDEX records_channel_time \(gateway=\?( AND device[=>]\?)?( AND channel>\?)?\)$/);
    }
    expect(plan(GATEWAY_PAGE_SQL.row, dummyParams(GATEWAY_PAGE_SQL.row))).toEqual(['SEARCH records USING PRIMARY KEY (gateway=? AND seq=?)']);
    expect(mergesChannels({ gateway: 'g', device: 'd', channel: 'c', limit: 1 })).toBe(false);
    expect(mergesChannels({ gateway: 'g', kind: 'alarm', limit: 1 })).toBe(false);
  });

  it.each(shapes)('queryRecords for %s uses its index in order', (_name, query, expected) => {
    const { sql, params } = recordQuerySql({ ...query, limit: 100 }, () => '?');
    const details = plan(sql, params);
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(expected);
  });
});
