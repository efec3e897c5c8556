/**
 * Issue 15 on PostgreSQL: an organization's reads use the records' existing indexes (EXPLAIN on
 * analyzed tables of 5 organizations × 20 gateways × 1000 records), never a sequential scan of
 * records. The gateways table (a few pages) PostgreSQL may well read whole: that is its cheapest
 * plan for it. test/unit/org-plan.test.ts checks SQLite.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_SQL } from '../../cloud/store/alerts-sql.ts';
import { encodeCursor, recordQuerySql } from '../../cloud/store/cursor.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import type { ReadingsQuery } from '../../cloud/store/types.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const T0 = Date.UTC(2025, 0, 1);
let postgres: TestPostgres | undefined;
let db: RelayDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.newDatabase();
  db = createRelayDatabase({ kind: 'postgres', url }, testLogger());
  await db.start();
  pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query(`INSERT INTO organizations (id, name, created_at) SELECT 'org-' || o, 'Org ' || o, 0 FROM generate_series(1, 5) o`);
  await pool.query(
    `INSERT INTO gateways (id, secret_ciphertext, created_at, org_id) SELECT 'gw-' || g, 'x', 0, 'org-' || (g % 5 + 1) FROM generate_series(1, 100) g`,
  );
  // Records v2 (migrations-records-v2.ts): kind and quality as their codes, the hash as 32 bytes.
  await pool.query(`INSERT INTO records (gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, received_at, hash)
    SELECT 'gw-' || g, s, CASE WHEN s % 100 = 0 THEN 1 ELSE 0 END, 'd', 'c' || (s % 4), s, 'm', 0, NULL, ${T0} + s * 60000, NULL, s, 'b', 1, 0, NULL, ${T0} + s * 60000,
      decode(md5(g || ':' || s) || md5(s || ':' || g), 'hex')
    FROM generate_series(1, 100) g, generate_series(1, 1000) s`);
  await pool.query(`INSERT INTO alerts (id, family, kind, severity, gateway, title, facts, state, opened_at, updated_at, org_id)
    SELECT 'a' || i, 'f' || i, 'alarm', 'warning', 'gw-' || (i % 100 + 1), 't', '{}', CASE WHEN i % 3 = 0 THEN 'open' ELSE 'closed' END, i, i, 'org-' || (i % 5 + 1)
    FROM generate_series(1, 5000) i`);
  await pool.query('ANALYZE');
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.stop();
  await postgres?.stop();
});

async function explain(sql: string, params: readonly unknown[]): Promise<string> {
  const rows = (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params as unknown[])).rows;
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

const cursor = encodeCursor({ time: T0 + 500 * 60000, gateway: 'gw-1', seq: 500 });
const shapes: Array<[string, Omit<ReadingsQuery, 'limit' | 'org'>]> = [
  ['everything it has', {}],
  ['its gateways in a window', { from: T0, to: T0 + 3_600_000 }],
  ['its gateways, next page', { from: T0, cursor }],
  ['its gateways, next page of a window', { from: T0, to: T0 + 600 * 60_000, cursor }],
  ['all its alarms', { kind: 'alarm' }],
  ['a gateway', { gateway: 'gw-1' }],
  ['a channel series, next page', { gateway: 'gw-1', device: 'd', channel: 'c1', cursor }],
];

describe('organization-scoped reads (PostgreSQL) query plans', () => {
  it.each(shapes)('queryRecords for %s reads records through an index', async (_name, query) => {
    const { sql, params } = recordQuerySql({ ...query, org: 'org-1', limit: 100 }, (n) => `$${n}`, 'postgres');
    const text = await explain(sql, params);
    // records is partitioned (records v2): the months ahead are empty, and a scan of an empty
    // partition (estimated cost 0) is no read of records.
    const scans = text.split('\n').filter((line) => /Seq Scan on records/.test(line) && !/\(cost=0\.00\.\.0\.00 /.test(line));
    expect(scans, text).toEqual([]);
    expect(text, text).toMatch(/Index (Only )?Scan (Backward )?using records_\w+ on records|Bitmap Index Scan on records_\w+/);
  });

  it.each([
    ['alertsOrgAll', ALERTS_SQL.alertsOrgAll, [Number.MAX_SAFE_INTEGER, '', 100, 'org-1']],
    ['alertsOrgByState', ALERTS_SQL.alertsOrgByState, [Number.MAX_SAFE_INTEGER, '', 100, 'open', 'org-1']],
  ] as const)("%s reads one organization's alerts through its index", async (_name, sql, params) => {
    const text = await explain(sql, params);
    expect(text, text).not.toMatch(/Seq Scan on alerts/);
  });
});
