import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_SQL, claimSql } from '../../cloud/store/alerts-sql.ts';
import { migrateSqlite } from '../../cloud/store/migrations-sqlite.ts';
import { toNamed } from '../../cloud/store/sql-sqlite.ts';
import { testLogger } from '../helpers/logger.ts';

/**
 * The statements the alerts run every pass or every send reach their rows through an index: the
 * alarm-record cursor walks only alarm records (records_alarm_received), the claim only due
 * messages of one channel (alert_outbox_due), none scans a table from end to end.
 */
let dir: string;
let db: Sqlite.Database;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  db = new Sqlite(path.join(dir, 'plan.db'));
  migrateSqlite(db, testLogger());
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string): string[] {
  const named = toNamed(sql);
  const params = Object.fromEntries([...new Set(named.match(/@p\d+/g) ?? [])].map((p) => [p.slice(1), 1]));
  return (db.prepare(`EXPLAIN QUERY PLAN ${named}`).all(params) as { detail: string }[]).map((row) => row.detail);
}

describe('alerts store (SQLite) query plans', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['alarmRecordsSince', ALERTS_SQL.alarmRecordsSince, /^SEARCH records USING INDEX records_alarm_received \(\(received_at,gateway,seq\)>\(\?,\?,\?\)\)$/],
    ['claim', claimSql('sqlite'), /^SEARCH alert_outbox USING INDEX alert_outbox_due \(channel=\? AND next_attempt_at<\?\)$/],
    [
      'recentCount',
      ALERTS_SQL.recentCount,
      /^SEARCH alert_outbox USING INDEX alert_outbox_window \(channel=\? AND address=\? AND rule=\? AND created_at>\?\)$/,
    ],
    ['openOfFamily', ALERTS_SQL.openOfFamily, /^SEARCH alerts USING INDEX alerts_family \(family=\?\)$/],
  ];

  it.each(cases)('%s uses its index', (_name, sql, expected) => {
    const details = plan(sql);
    expect(
      details.some((d) => expected.test(d)),
      details.join('\n'),
    ).toBe(true);
    expect(details.filter((d) => /^SCAN (records|alert_outbox|alerts)\b/.test(d))).toEqual([]);
  });

  it('no per-pass statement scans records', () => {
    for (const sql of Object.values(ALERTS_SQL)) expect(plan(sql).filter((d) => /^SCAN records\b/.test(d))).toEqual([]);
  });
});
