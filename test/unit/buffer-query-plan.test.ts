import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../agent/buffer/migrations.ts';
import { RECORD_SQL, RECORD_TABLES, STATE_SQL } from '../../agent/buffer/statements.ts';

/**
 * Every statement that runs per record, per commit or per sync page must reach rows through the
 * rowid or an index (EXPLAIN QUERY PLAN says SEARCH), never SCAN a records table, and readAfter must
 * merge the tables in seq order without a temporary sort (docs/storage.md#query-plans).
 */
let dir: string;
let db: Sqlite.Database;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  db = new Sqlite(path.join(dir, 'plan.db'));
  migrate(db, pino({ level: 'silent' }));
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string): string[] {
  const params = (sql.match(/\?/g) ?? []).map(() => 1);
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
}

const statements = Object.entries(RECORD_SQL).flatMap(([name, sql]) =>
  typeof sql === 'string' ? [[name, sql] as const] : sql.map((one, priority) => [`${name}[${priority}]`, one] as const),
);
const tables = RECORD_TABLES.join('|');
const scan = new RegExp(`^SCAN (${tables})\\b`);
const search = new RegExp(`^SEARCH (${tables}) USING`);

describe('buffer query plans', () => {
  it.each(statements)('%s does not scan a records table', (name, sql) => {
    const details = plan(sql);
    expect(details.filter((d) => scan.test(d))).toEqual([]);
    expect(details.filter((d) => d.includes('USE TEMP B-TREE'))).toEqual([]);
    // Inserts have no read plan; everything else must show the search it relies on.
    if (!name.startsWith('insert')) expect(details.some((d) => search.test(d))).toBe(true);
  });

  // An upsert finds its row through the ON CONFLICT target, which SQLite refuses to prepare unless it
  // is the primary key or a unique index (docs/storage.md#upserts-and-conflicts); the plan must add
  // no scan of any table (e.g. a subquery) and no sort.
  it.each(Object.entries(STATE_SQL))('%s scans nothing', (_name, sql) => {
    const details = plan(sql);
    expect(details.filter((d) => /^SCAN /.test(d) || d.includes('USE TEMP B-TREE'))).toEqual([]);
  });

  it('readAfter merges the three tables by rowid', () => {
    const details = plan(RECORD_SQL.readAfter);
    expect(details).toContain('MERGE (UNION ALL)');
    for (const table of RECORD_TABLES) expect(details).toContain(`SEARCH ${table} USING INTEGER PRIMARY KEY (rowid>?)`);
  });

  it('readAlarmsAfter uses the partial alarm indexes', () => {
    const details = plan(RECORD_SQL.readAlarmsAfter);
    for (const table of RECORD_TABLES) expect(details).toContain(`SEARCH ${table} USING INDEX ${table}_alarms (seq>?)`);
  });
});
