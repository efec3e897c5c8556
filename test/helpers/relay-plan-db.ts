/**
 * A relay SQLite file at the current schema for the query-plan tests (test/unit/*-plan.test.ts):
 * created before the calling file's tests, removed after them. `plan(sql)` is SQLite's EXPLAIN
 * QUERY PLAN of a store statement, its `$n`/`@name` parameters bound to 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { migrateSqlite } from '../../cloud/store/migrations-sqlite.ts';
import { toNamed } from '../../cloud/store/sql-sqlite.ts';
import { testLogger } from './logger.ts';

export interface PlanDb {
  /** The open database (inside the file's tests). */
  readonly db: () => Sqlite.Database;
  /** The plan's detail lines, e.g. `SEARCH records USING INDEX …`. */
  readonly plan: (sql: string) => string[];
}

export function relayPlanDb(): PlanDb {
  let dir: string | undefined;
  let db: Sqlite.Database | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-plan-'));
    db = new Sqlite(path.join(dir, 'plan.db'));
    migrateSqlite(db, testLogger());
  });
  afterAll(() => {
    db?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  const open = (): Sqlite.Database => {
    if (db === undefined) throw new Error('relayPlanDb: used outside the tests of the file that made it');
    return db;
  };
  return {
    db: open,
    plan: (sql) => {
      const named = toNamed(sql);
      const params = Object.fromEntries([...new Set(named.match(/@\w+/g) ?? [])].map((p) => [p.slice(1), 1]));
      return (open().prepare(`EXPLAIN QUERY PLAN ${named}`).all(params) as { detail: string }[]).map((row) => row.detail);
    },
  };
}
