/**
 * Issue 15 §1 upgrade: a single-tenant relay database as the relay before organizations left it
 * (every migration before migrations-orgs.ts, with records, integrity alarms, an anchor batch, a DGA
 * obra with slots and audit lines, alerts) opens with the new code, SQLite and PostgreSQL, with
 * everything in the organization `default` and nothing lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDatabase, type StoreConfig } from '../../cloud/store/database.ts';
import { ORGS_MIGRATION_POSTGRES, ORGS_MIGRATION_SQLITE } from '../../cloud/store/migrations-orgs.ts';
import { migratePostgres, POSTGRES_MIGRATIONS } from '../../cloud/store/migrations-postgres.ts';
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../cloud/store/migrations-sqlite.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const logger = testLogger();
const T0 = Date.UTC(2025, 5, 1);
const GATEWAYS = ['gw-north', 'gw-south'];
const PER_GATEWAY = 300;
const OBRA = 'OB-0101-1';
const TABLES = ['gateways', 'records', 'integrity_alarms', 'anchor_batches', 'dga_obras', 'dga_submissions', 'dga_audit', 'alerts'] as const;

/** Statements with `?` placeholders, run on either backend. */
type Run = (sql: string, params: readonly unknown[]) => Promise<void>;

/** What the relay before organizations stored: the same rows on both backends. */
async function seed(run: Run): Promise<void> {
  for (const gateway of GATEWAYS) {
    await run('INSERT INTO gateways (id, secret_ciphertext, created_at, last_seen_at, highest_seq, record_count) VALUES (?, ?, ?, ?, ?, ?)', [
      gateway,
      'sealed',
      T0,
      T0,
      PER_GATEWAY,
      PER_GATEWAY,
    ]);
    // One multi-row INSERT per gateway: PER_GATEWAY rows of 18 values stay under both backends' parameter limits.
    const rows: string[] = [];
    const params: unknown[] = [];
    for (let seq = 1; seq <= PER_GATEWAY; seq++) {
      rows.push(`(?, ?, 'reading', 'pozo', 'level', ?, 'm', 'good', NULL, ?, NULL, ?, 'boot', 1, 0, NULL, ?, ?, ${seq <= 100 ? 1 : 'NULL'})`);
      params.push(gateway, seq, seq / 10, T0 + seq * 1000, seq, T0 + seq * 1000 + 5, Buffer.from(`${gateway}-${seq}`).toString('hex').padEnd(64, '0'));
    }
    await run(
      `INSERT INTO records (gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, received_at, hash, anchor_batch) VALUES ${rows.join(', ')}`,
      params,
    );
    await run('INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at) VALUES (?, 1, ?, ?, ?)', [gateway, 'aa', 'bb', T0]);
  }
  await run("INSERT INTO anchor_batches (period_end, status, size, root, created_at, updated_at) VALUES (?, 'confirmed', 200, ?, ?, ?)", [
    T0 + 200_000,
    'cd'.repeat(32),
    T0,
    T0,
  ]);
  await run('INSERT INTO dga_obras (obra, created_at) VALUES (?, ?)', [OBRA, T0]);
  for (const [i, state] of ['accepted', 'review', 'pending'].entries()) {
    await run('INSERT INTO dga_submissions (obra, slot, kind, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', [
      OBRA,
      T0 + i * 3_600_000,
      'hourly',
      state,
      T0,
      T0,
    ]);
  }
  await run("INSERT INTO dga_audit (obra, slot, attempt, phase, at, instance) VALUES (?, ?, 1, 'request', ?, 'old-relay')", [OBRA, T0, T0]);
  const alert =
    "INSERT INTO alerts (id, family, kind, severity, gateway, obra, title, facts, state, opened_at, updated_at) VALUES (?, ?, ?, 'warning', ?, ?, 't', '{}', 'open', ?, ?)";
  await run(alert, ['silent:gw-north:1', 'silent:gw-north', 'gateway_silent', 'gw-north', null, T0, T0]);
  await run(alert, [`dga-late:${OBRA}:1`, `dga-late:${OBRA}`, 'dga_late', null, OBRA, T0 + 1, T0 + 1]);
  await run(alert, ['anchor-errors:X:1', 'anchor-errors:X', 'anchor_errors', null, null, T0 + 2, T0 + 2]);
}

let postgres: TestPostgres | undefined;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-org-upgrade-'));
  postgres = await startPostgres();
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Builds the old database and returns the new code's storage config for it. */
async function oldDatabase(backend: 'sqlite' | 'postgres'): Promise<StoreConfig> {
  if (backend === 'sqlite') {
    const file = path.join(dir, 'relay.db');
    const db = new Sqlite(file);
    try {
      migrateSqlite(db, logger, SQLITE_MIGRATIONS.slice(0, SQLITE_MIGRATIONS.indexOf(ORGS_MIGRATION_SQLITE)));
      await seed(async (sql, params) => {
        db.prepare(sql).run(...(params as unknown[]));
      });
    } finally {
      db.close();
    }
    return { kind: 'sqlite', path: file };
  }
  const url = await postgres!.newDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migratePostgres(pool, logger, POSTGRES_MIGRATIONS.slice(0, POSTGRES_MIGRATIONS.indexOf(ORGS_MIGRATION_POSTGRES)));
    await seed(async (sql, params) => {
      let n = 0;
      await pool.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params as unknown[],
      );
    });
  } finally {
    await pool.end();
  }
  return { kind: 'postgres', url };
}

describe.each(['sqlite', 'postgres'] as const)('a relay database from before organizations, on %s', (backend) => {
  it('opens with everything in the organization default and nothing lost', async () => {
    const storage = await oldDatabase(backend);
    const db = createRelayDatabase(storage, logger);
    await db.start();
    try {
      const count = async (table: string): Promise<number> =>
        Number((await db.executor.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`, [])).rows[0]?.n);
      const counts = Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(t)] as const)));
      expect(counts).toEqual({
        gateways: 2,
        records: 2 * PER_GATEWAY,
        integrity_alarms: 2,
        anchor_batches: 1,
        dga_obras: 1,
        dga_submissions: 3,
        dga_audit: 1,
        alerts: 3,
      });
      expect(await count('records WHERE anchor_batch = 1')).toBe(200);

      expect(await db.orgs.list()).toEqual([{ id: 'default', name: 'Default', createdAt: expect.any(Number), gateways: 2 }]);
      expect((await db.records.listGateways()).map((g) => [g.id, g.orgId, g.records])).toEqual(GATEWAYS.map((g) => [g, 'default', PER_GATEWAY]));
      // The default organization's principal reads every record, as the operator did before.
      const page = await db.records.queryRecords({ limit: 10_000, org: 'default' });
      expect(page.items).toHaveLength(2 * PER_GATEWAY);
      expect(await db.records.integrityAlarms(10, 'default')).toHaveLength(2);
      // Alerts of a gateway or an obra are the default organization's; anchoring's stays relay-wide.
      const alerts = await db.alerts.alerts({ limit: 10 });
      expect(Object.fromEntries(alerts.map((a) => [a.id, a.orgId]))).toEqual({
        'silent:gw-north:1': 'default',
        [`dga-late:${OBRA}:1`]: 'default',
        'anchor-errors:X:1': null,
      });
      expect((await db.alerts.alerts({ limit: 10, org: 'default' })).map((a) => a.id).sort()).toEqual([`dga-late:${OBRA}:1`, 'silent:gw-north:1']);
      // New gateways go to the default organization unless told otherwise.
      await db.records.addGateway('gw-new', 'sealed', T0);
      expect((await db.records.getGateway('gw-new'))?.orgId).toBe('default');
    } finally {
      await db.stop();
    }
  }, 60_000);
});
