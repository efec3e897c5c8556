/**
 * Upgrade (cloud/store/migrations-sources-org.ts): a database where `relay source add --org norte`
 * left the source's virtual gateway in `default` opens with that gateway, and the alerts about it,
 * in `norte`; a source naming no existing organization, and every other gateway, stay as they were.
 * SQLite in a temp file; the same SQL runs on PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { SOURCES_ORG_MIGRATION_SQLITE } from '../../cloud/store/migrations-sources-org.ts';
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../cloud/store/migrations-sqlite.ts';
import { testLogger } from '../helpers/logger.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-sources-org-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("moves each source's virtual gateway and its alerts into the source's organization", () => {
  const db = new Sqlite(path.join(dir, 'relay.db'));
  try {
    const logger = testLogger();
    migrateSqlite(db, logger, SQLITE_MIGRATIONS.slice(0, SQLITE_MIGRATIONS.indexOf(SOURCES_ORG_MIGRATION_SQLITE)));
    db.prepare("INSERT INTO organizations (id, name, created_at) VALUES ('norte', 'Norte', 1)").run();
    for (const [id, source, org] of [
      ['src-ttn', 'ttn', 'norte'],
      ['src-lost', 'lost', 'nadie'],
      ['gw-1', undefined, undefined],
    ] as const) {
      db.prepare('INSERT INTO gateways (id, secret_ciphertext, created_at) VALUES (?, ?, 1)').run(id, 'v1.x');
      if (source !== undefined) db.prepare("INSERT INTO sources (id, kind, gateway, org, created_at) VALUES (?, 'tts', ?, ?, 1)").run(source, id, org);
      db.prepare(
        "INSERT INTO alerts (id, family, kind, severity, gateway, title, facts, state, opened_at, updated_at, org_id) VALUES (?, ?, 'silence', 'warning', ?, 't', '{}', 'open', 1, 1, 'default')",
      ).run(`silence:${id}:1`, `silence:${id}`, id);
    }
    migrateSqlite(db, logger);
    expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    const orgs = (table: string, key: string) =>
      Object.fromEntries((db.prepare(`SELECT ${key} AS k, org_id AS org FROM ${table}`).all() as Array<{ k: string; org: string }>).map((r) => [r.k, r.org]));
    expect(orgs('gateways', 'id')).toEqual({ 'src-ttn': 'norte', 'src-lost': 'default', 'gw-1': 'default' });
    expect(orgs('alerts', 'gateway')).toEqual({ 'src-ttn': 'norte', 'src-lost': 'default', 'gw-1': 'default' });
  } finally {
    db.close();
  }
});
