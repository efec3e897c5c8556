/**
 * The provider sources' statements that run per message or per pull (cloud/store/sources-sql.ts)
 * reach their rows by primary key (EXPLAIN QUERY PLAN: SEARCH … USING PRIMARY KEY), never a scan.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateSqlite } from '../../cloud/store/migrations-sqlite.ts';
import { SOURCES_SQL } from '../../cloud/store/sources-sql.ts';
import { toNamed } from '../../cloud/store/sql-sqlite.ts';
import { testLogger } from '../helpers/logger.ts';

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
  const params = Object.fromEntries((named.match(/@\w+/g) ?? []).map((n) => [n.slice(1), 1]));
  return (db.prepare(`EXPLAIN QUERY PLAN ${named}`).all(params) as { detail: string }[]).map((r) => r.detail);
}

// Listing every source and problem reads two small tables on an operator's request.
const perMessage = Object.entries(SOURCES_SQL).filter(([name]) => name !== 'listSources' && name !== 'listProblems');

describe('sources store query plans (SQLite)', () => {
  it.each(perMessage)('%s uses a key, never a scan or a temporary sort', (_name, sql) => {
    const details = plan(sql);
    expect(details.filter((d) => /^SCAN /.test(d) || d.includes('USE TEMP B-TREE'))).toEqual([]);
  });

  it('claims and looks up a message id by the primary key', () => {
    expect(plan(SOURCES_SQL.messageAt).join(' ')).toMatch(/SEARCH source_messages USING PRIMARY KEY \(source=\? AND message_id=\?\)/);
    expect(plan(SOURCES_SQL.highestSeq).join(' ')).toMatch(/SEARCH gateways USING PRIMARY KEY \(id=\?\)/);
  });
});
