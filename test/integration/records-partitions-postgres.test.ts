/**
 * Issue 18 §3: records v2 on PostgreSQL is partitioned by month of received_at. One relay database
 * whose clock the test moves: partitions are made ahead at start and by ensure() (the daily tick's
 * work), rows land in the month they were received in (or the DEFAULT partition), exactly-once
 * holds across months, reads page across them, anchoring claims across them, and an old month is
 * dropped only once every record in it is in a batch confirmed on chain.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import { isStoreError, STORE_PARTITION_HELD } from '../../cloud/store/errors.ts';
import { POSTGRES_RECORDS_SQL } from '../../cloud/store/records-sql.ts';
import type { IngestInput, RelayRecord } from '../../cloud/store/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

type Offered = IngestInput['records'][number];

const JAN = Date.UTC(2031, 0, 15);
const FEB = Date.UTC(2031, 1, 15);
const FAR = Date.UTC(2040, 0, 10);
let now = JAN;
const clock: Clock = { now: () => now, monotonic: () => now };

let postgres: TestPostgres | undefined;
let url: string;
let db: RelayDatabase;

beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.newDatabase();
  db = createRelayDatabase({ kind: 'postgres', url }, testLogger(), clock);
  await db.start();
  await db.records.addGateway('gw-a', 'sealed', JAN);
}, 60_000);

afterAll(async () => {
  await db?.stop();
  await postgres?.stop();
});

function record(seq: number, over: Partial<Offered> = {}): Offered {
  const r = {
    gateway: 'gw-a',
    seq,
    kind: 'reading' as const,
    device: 'pozo',
    channel: 'nivel',
    value: seq / 10,
    unit: 'm',
    quality: 'good' as const,
    exception: null,
    ts: JAN - 3_600_000 + seq * 1000,
    tsCorrected: null,
    mono: seq * 1000,
    bootId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    priority: 0 as const,
    flags: 0,
    ...over,
  };
  return { ...r, hash: recordHash('gw-a', r), ...over };
}

const seqRange = (from: number, to: number, over: Partial<Offered> = {}): Offered[] => Array.from({ length: to - from + 1 }, (_, i) => record(from + i, over));

const ingest = (records: Offered[], at: number) => db.records.ingest({ gateway: 'gw-a', records, now: at, clockOffsetMs: 0 });

async function q<R>(sql: string, params: unknown[] = []): Promise<R[]> {
  return (await db.executor.query<R>(sql, params)).rows;
}

/** Rows per partition, by name. */
async function placement(): Promise<Record<string, number>> {
  const rows = await q<{ part: string; n: number }>('SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM records GROUP BY 1');
  return Object.fromEntries(rows.map((r) => [r.part, r.n]));
}

async function partitions(): Promise<string[]> {
  const rows = await q<{ name: string }>(
    "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'records'::regclass",
  );
  return rows.map((r) => r.name).sort();
}

async function everything(limit: number): Promise<RelayRecord[]> {
  const items: RelayRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await db.records.queryRecords({ gateway: 'gw-a', limit, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return items;
}

describe('records partitioned by month of received_at (PostgreSQL)', () => {
  it('makes the partitions of the clock month and three ahead at start, and more as the clock moves', async () => {
    expect(await partitions()).toEqual(expect.arrayContaining(['records_default', 'records_2031_01', 'records_2031_02', 'records_2031_03', 'records_2031_04']));
    expect(await partitions()).not.toContain('records_2031_05');
    now = Date.UTC(2031, 2, 1);
    expect(await db.partitions?.ensure()).toBe(2);
    expect(await partitions()).toEqual(expect.arrayContaining(['records_2031_05', 'records_2031_06']));
    expect(await db.partitions?.ensure()).toBe(0);
    now = JAN;
  });

  it('stores each batch in the month it was received in, the DEFAULT partition outside them, exactly once across months', async () => {
    expect(await ingest(seqRange(1, 100), JAN)).toEqual({ ok: true, stored: 100, duplicates: 0, highestSeq: 100 });
    // A resend a month later overlapping new seqs: the held ones are found in January's partition.
    expect(await ingest(seqRange(51, 150), FEB)).toEqual({ ok: true, stored: 50, duplicates: 50, highestSeq: 150 });
    // A gap below the highest seq is filled; a seq held with other content is a conflict, nothing stored.
    expect(await ingest([record(160)], FEB)).toMatchObject({ ok: true, stored: 1 });
    expect(await ingest([record(155), record(20, { value: -1 })], FEB)).toEqual({ ok: false, conflicts: [20] });
    expect(await ingest([record(155)], FEB)).toMatchObject({ ok: true, stored: 1, duplicates: 0, highestSeq: 160 });
    // A clock far off lands in the DEFAULT partition rather than being refused.
    expect(await ingest([record(161)], FAR)).toMatchObject({ ok: true, stored: 1 });
    expect(await placement()).toEqual({ records_2031_01: 100, records_2031_02: 52, records_default: 1 });
    expect((await db.records.integrityAlarms(10)).map((a) => a.seq)).toEqual([20]);
  });

  it('pages through a gateway across partitions in (time, seq) order with nothing lost or repeated', async () => {
    const items = await everything(7);
    expect(items.map((r) => r.seq)).toEqual([...Array.from({ length: 150 }, (_, i) => i + 1), 155, 160, 161]);
    expect(items.find((r) => r.seq === 120)).toEqual({ ...record(120), receivedAt: FEB });
  });

  it('does not make a month whose rows already sit in the DEFAULT partition', async () => {
    now = FAR;
    expect(await db.partitions?.ensure()).toBe(3);
    expect(await partitions()).not.toContain('records_2040_01');
    expect(await partitions()).toContain('records_2040_04');
    now = JAN;
  });

  it('anchors across months, and drops a month only once every record in it is in a confirmed batch', async () => {
    const batch = await db.anchor.claimBatch({ periodStart: null, periodEnd: FEB + 1, now: FEB + 1 });
    expect(batch?.size).toBe(152);
    const leaves: RelayRecord[] = [];
    for await (const chunk of db.anchor.batchRecords(batch!.id, 40)) leaves.push(...chunk);
    expect(leaves.map((r) => r.seq)).toEqual([...Array.from({ length: 150 }, (_, i) => i + 1), 155, 160]);
    expect(await db.anchor.recordAnchor('gw-a', 120)).toMatchObject({ batchId: batch!.id, index: 119 });

    const held = await db.partitions!.dropBefore(Date.UTC(2031, 1, 1)).catch((err: unknown) => err);
    expect(isStoreError(held, STORE_PARTITION_HELD)).toBe(true);
    expect(await partitions()).toContain('records_2031_01');

    await q("UPDATE anchor_batches SET status = 'confirmed' WHERE id = $1", [batch!.id]);
    const dropped = await db.partitions!.dropBefore(Date.UTC(2031, 1, 1));
    expect(dropped).toContain('records_2031_01');
    expect(dropped.every((name) => name < 'records_2031_02')).toBe(true);
    expect(await placement()).toEqual({ records_2031_02: 52, records_default: 1 });

    // What remains reads, ingests and anchors as before.
    expect((await everything(100)).map((r) => r.seq)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 101), 155, 160, 161]);
    expect(await ingest(seqRange(162, 170), FEB)).toMatchObject({ ok: true, stored: 9, highestSeq: 170 });
    expect((await db.anchor.claimBatch({ periodStart: FEB, periodEnd: FEB + 2, now: FEB + 2 }))?.size).toBe(9);
  });

  it('anchors a record received before a claimed period but committed after the claim with the next claim', async () => {
    const T = Date.UTC(2031, 1, 20);
    await db.records.addGateway('gw-b', 'sealed', T);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      // The ingest has its receive time, then waits for the gateway row another transaction holds.
      await holder.query("BEGIN; SELECT 1 FROM gateways WHERE id = 'gw-b' FOR UPDATE");
      const late = db.records.ingest({
        gateway: 'gw-b',
        records: [{ ...record(1), gateway: 'gw-b', hash: recordHash('gw-b', record(1)) }],
        now: T,
        clockOffsetMs: 0,
      });
      await waitFor(
        async () =>
          (await q<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"))[0]!.n >=
          1,
        'the ingest waiting on the gateway row',
      );
      expect(await db.anchor.claimBatch({ periodStart: null, periodEnd: T + 10, now: T + 10 })).toBeUndefined();
      await holder.query('COMMIT');
      expect(await late).toMatchObject({ ok: true, stored: 1 });
    } finally {
      await holder.end();
    }
    expect(await db.anchor.unclaimedCount(T + 10)).toBe(1);
    const next = await db.anchor.claimBatch({ periodStart: null, periodEnd: T + 20, now: T + 20 });
    expect(next?.size).toBe(1);
    expect((await db.anchor.recordAnchor('gw-b', 1))?.batchId).toBe(next?.id);
    expect(await db.anchor.unclaimedCount(T + 20)).toBe(0);
  });

  it("reaches a claim's records by probes of records_gateway_seq, not a scan of the partitions", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('ANALYZE records');
      await client.query('BEGIN');
      for (const sql of POSTGRES_RECORDS_SQL.claimByIndex) await client.query(sql);
      const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${POSTGRES_RECORDS_SQL.claimBefore}`, [99, FAR])).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan, plan).toMatch(/Nested Loop/);
      // Which of the gateway's indexes a probe takes is the planner's pick on so few rows.
      expect(plan, plan).toMatch(/Index Scan using records_2031_02_gateway_\w+ on records_2031_02/);
      expect(plan, plan).not.toMatch(/Seq Scan on records/);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  });
});
