/**
 * Issue 18 §3 upgrade on PostgreSQL: a relay database as the relay before records v2 left it
 * (every migration before migrations-records-v2.ts; readings and alarms of every quality, received
 * over two months, two anchored batches, unanchored records, an integrity alarm, DGA slots) opens
 * with the new code with every record kept field for field, in partitions of the months it was
 * received in, every batch's root recomputed from the migrated rows equal to the stored one, and
 * every anchored record's inclusion proof verifying. Exactly-once still holds for old seqs.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeOfBatch } from '../../cloud/anchor/batcher.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import { migratePostgres, POSTGRES_MIGRATIONS } from '../../cloud/store/migrations-postgres.ts';
import { POSTGRES_RECORDS_V2 } from '../../cloud/store/migrations-records-v2.ts';
import { encodeAlarm } from '../../cloud/store/rows.ts';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { buildTreeFromLeafHashes, inclusionProof, recordLeafHash, root, verifyInclusion } from '../../protocols/anchor/index.ts';
import { QUALITIES } from '../../protocols/records.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

const logger = testLogger();
const MAY = Date.UTC(2025, 4, 20);
const JUNE = Date.UTC(2025, 5, 3);
const GATEWAYS = ['gw-north', 'gw-south'];
const PER_GATEWAY = 300;
/** Batch 1 (confirmed) holds seqs 1..100 of each gateway, batch 2 (pending) 101..200; the rest is unanchored. */
const batchOf = (seq: number): number | null => (seq <= 100 ? 1 : seq <= 200 ? 2 : null);

function oldRecord(gateway: string, seq: number): RelayRecord {
  const quality = QUALITIES[seq % QUALITIES.length]!;
  const alarm = seq % 25 === 0 ? { rule: 'high1', level: 'alarm' as const, state: 'raised' as const, threshold: 4.5 } : undefined;
  const r = {
    gateway,
    seq,
    kind: alarm === undefined ? ('reading' as const) : ('alarm' as const),
    device: 'pozo',
    channel: seq % 2 === 0 ? 'nivel' : 'caudal',
    value: seq % 7 === 0 ? null : seq / 8,
    unit: 'm',
    quality,
    exception: quality === 'exception' ? 2 : null,
    ts: MAY - 86_400_000 + seq * 60_000,
    tsCorrected: seq % 3 === 0 ? MAY - 86_400_000 + seq * 60_000 + 250 : null,
    mono: seq * 60_000,
    bootId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    priority: (alarm === undefined ? 0 : 2) as 0 | 2,
    flags: seq % 11 === 0 ? 1 : 0,
    // One record received by a relay whose clock was far off: its month gets a partition, the decades between do not.
    receivedAt: gateway === 'gw-north' && seq === PER_GATEWAY ? 1_000 : seq <= 150 ? MAY + seq : JUNE + seq,
  };
  const withAlarm = alarm === undefined ? r : { ...r, alarm };
  return { ...withAlarm, hash: recordHash(gateway, withAlarm) };
}

const RECORDS = GATEWAYS.flatMap((g) => Array.from({ length: PER_GATEWAY }, (_, i) => oldRecord(g, i + 1)));

/** A batch's root as the old relay computed it: leaves in (gateway, seq) order. */
function oldRoot(batch: number): string {
  const leaves = RECORDS.filter((r) => batchOf(r.seq) === batch).map((r) => recordLeafHash(r.gateway, r));
  return root(buildTreeFromLeafHashes(Buffer.concat(leaves))).toString('hex');
}

async function seed(pool: pg.Pool): Promise<void> {
  for (const [i, gateway] of GATEWAYS.entries()) {
    // gw-south's highest_seq lags its records (as a crash between the two could leave it): the upgrade raises it.
    await pool.query('INSERT INTO gateways (id, secret_ciphertext, created_at, last_seen_at, highest_seq, record_count) VALUES ($1, $2, $3, $3, $4, $5)', [
      gateway,
      'sealed',
      MAY,
      i === 0 ? PER_GATEWAY : 250,
      PER_GATEWAY,
    ]);
    const rows: string[] = [];
    const params: unknown[] = [];
    for (const r of RECORDS.filter((x) => x.gateway === gateway)) {
      const values = [r.gateway, r.seq, r.kind, r.device, r.channel, r.value, r.unit, r.quality, r.exception, r.ts, r.tsCorrected, r.mono, r.bootId];
      values.push(r.priority, r.flags, encodeAlarm(r.alarm), r.receivedAt, r.hash, batchOf(r.seq));
      rows.push(`(${values.map((v) => `$${params.push(v)}`).join(', ')})`);
    }
    await pool.query(
      `INSERT INTO records (gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm,
        received_at, hash, anchor_batch) VALUES ${rows.join(', ')}`,
      params,
    );
  }
  for (const [batch, status] of [
    [1, 'confirmed'],
    [2, 'pending'],
  ] as const) {
    await pool.query('INSERT INTO anchor_batches (period_end, status, size, root, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)', [
      MAY + 200 * batch,
      status,
      2 * 100,
      oldRoot(batch),
      MAY,
    ]);
  }
  await pool.query('INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at) VALUES ($1, 7, $2, $3, $4)', ['gw-north', 'aa', 'bb', MAY]);
  await pool.query("INSERT INTO dga_obras (obra, created_at) VALUES ('OB-0101-1', $1)", [MAY]);
  for (const state of ['accepted', 'review', 'pending'])
    await pool.query("INSERT INTO dga_submissions (obra, slot, kind, state, created_at, updated_at) VALUES ('OB-0101-1', $1, 'hourly', $2, $3, $3)", [
      MAY + QUALITIES.length * 3_600_000 + state.length,
      state,
      MAY,
    ]);
}

let postgres: TestPostgres | undefined;
let db: RelayDatabase;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.newDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migratePostgres(pool, logger, POSTGRES_MIGRATIONS.slice(0, POSTGRES_MIGRATIONS.indexOf(POSTGRES_RECORDS_V2)));
    await seed(pool);
  } finally {
    await pool.end();
  }
  db = createRelayDatabase({ kind: 'postgres', url }, logger);
  await db.start();
}, 60_000);

afterAll(async () => {
  await db?.stop();
  await postgres?.stop();
});

const count = async (sql: string): Promise<number> => Number((await db.executor.query<{ n: string }>(sql, [])).rows[0]?.n);

describe('a relay database from before records v2 (PostgreSQL)', () => {
  it('keeps every record field for field, in partitions of the months it was received in', async () => {
    expect(await count('SELECT max(version) AS n FROM schema_migrations')).toBe(POSTGRES_MIGRATIONS.length);
    for (const gateway of GATEWAYS) {
      const page = await db.records.queryRecords({ gateway, limit: 10_000 });
      const expected = RECORDS.filter((r) => r.gateway === gateway).sort((a, b) => (a.tsCorrected ?? a.ts) - (b.tsCorrected ?? b.ts) || a.seq - b.seq);
      expect(page.items).toEqual(expected);
    }
    const placement = await db.executor.query<{ part: string; n: string }>(
      'SELECT tableoid::regclass::text AS part, count(*) AS n FROM records GROUP BY 1 ORDER BY 1',
      [],
    );
    expect(placement.rows.map((r) => [r.part, Number(r.n)])).toEqual([
      ['records_1970_01', 1],
      ['records_2025_05', 300],
      ['records_2025_06', 299],
    ]);
    const before2026 = await count("SELECT count(*) AS n FROM pg_class WHERE relname ~ '^records_\\d{4}_\\d{2}$' AND relname < 'records_2026'");
    expect(before2026).toBe(3);
    expect(await count('SELECT count(*) AS n FROM integrity_alarms')).toBe(1);
    expect(await count('SELECT count(*) AS n FROM dga_submissions')).toBe(3);
    expect(await count("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'records_v1'")).toBe(0);
  });

  it('recomputes every batch root from the migrated rows, and every anchored record proves its inclusion', async () => {
    for (const batch of [1, 2]) {
      const stored = await db.anchor.getBatch(batch);
      const tree = await treeOfBatch(db.anchor, batch);
      expect(tree.size).toBe(stored?.size);
      expect(root(tree).toString('hex')).toBe(stored?.root);
      for (const r of RECORDS.filter((x) => batchOf(x.seq) === batch)) {
        const info = await db.anchor.recordAnchor(r.gateway, r.seq);
        expect(info?.batchId).toBe(batch);
        const proof = inclusionProof(tree, info!.index!);
        expect(verifyInclusion(recordLeafHash(r.gateway, info!.record), proof.index, proof.treeSize, proof.path, root(tree))).toBe(true);
      }
    }
    expect(await db.anchor.unclaimedCount(JUNE + 1_000)).toBe(200);
  });

  it('takes new records after the upgrade with old seqs still held exactly once', async () => {
    const south = RECORDS.filter((r) => r.gateway === 'gw-south');
    expect((await db.records.getGateway('gw-south'))?.highestSeq).toBe(PER_GATEWAY);
    const resend = south.slice(259).map(({ receivedAt: _, ...r }) => r);
    const fresh = [oldRecord('gw-south', 301), oldRecord('gw-south', 302)].map(({ receivedAt: _, ...r }) => r);
    expect(await db.records.ingest({ gateway: 'gw-south', records: [...resend, ...fresh], now: JUNE + 5_000, clockOffsetMs: 0 })).toEqual({
      ok: true,
      stored: 2,
      duplicates: 41,
      highestSeq: 302,
    });
    const { receivedAt: _, hash: __, ...changed } = { ...south[9]!, value: 99 };
    const offered = { ...changed, hash: recordHash('gw-south', changed) };
    expect(await db.records.ingest({ gateway: 'gw-south', records: [offered], now: JUNE + 6_000, clockOffsetMs: 0 })).toEqual({ ok: false, conflicts: [10] });
  });
});
