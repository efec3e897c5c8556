/**
 * The fleet statements that run on every poll (upsert, history insert and prune) and the history
 * read go through a primary key (EXPLAIN QUERY PLAN: SEARCH … USING PRIMARY KEY), never a scan:
 * a thousand gateways polling every minute must not read the whole history table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_SQL } from '../../cloud/store/fleet-sql.ts';
import { migrateSqlite } from '../../cloud/store/migrations-sqlite.ts';
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
  const params = Object.fromEntries([...new Set(named.match(/@p\d+/g) ?? [])].map((p) => [p.slice(1), 1]));
  return (db.prepare(`EXPLAIN QUERY PLAN ${named}`).all(params) as { detail: string }[]).map((row) => row.detail);
}

describe('fleet statements', () => {
  it.each(['get', 'history', 'pruneHistory'] as const)('%s searches by primary key', (name) => {
    const steps = plan(FLEET_SQL[name]);
    expect(steps.some((s) => /SEARCH .* USING PRIMARY KEY/.test(s))).toBe(true);
    expect(steps.filter((s) => /^SCAN /.test(s))).toEqual([]);
  });

  it.each(['upsertPoll', 'insertHistory'] as const)('%s scans nothing', (name) => {
    expect(plan(FLEET_SQL[name]).filter((s) => /^SCAN /.test(s))).toEqual([]);
  });
});
