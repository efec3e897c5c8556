import { describe, expect, it } from 'vitest';
import type { AnchorStore } from '../../cloud/store/anchor-types.ts';
import { STORE_INVALID_QUERY } from '../../cloud/store/errors.ts';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { type AnchorDb, anchorDatabases, chunks, started, T0 } from './anchor-store-setup.ts';

/** The anchoring store's batches, leaves, errors and lease: one suite on SQLite and PostgreSQL. */
const databases = anchorDatabases();
const NOW = T0 + 86_400_000;

const key = (r: RelayRecord): string => `${r.gateway}/${r.seq}`;

async function leaves(store: AnchorStore, batchId: number, chunk?: number): Promise<RelayRecord[]> {
  return (await chunks(store.batchRecords(batchId, chunk))).flat();
}

/** Which batch each record is in, looked up behind the interface. */
async function membership(db: AnchorDb): Promise<Array<{ anchor_batch: number | null; n: number }>> {
  const rows = await db.rows<{ anchor_batch: number | string | null; n: number | string }>(
    'SELECT anchor_batch, count(*) AS n FROM records GROUP BY anchor_batch ORDER BY anchor_batch',
  );
  return rows.map((r) => ({ anchor_batch: r.anchor_batch === null ? null : Number(r.anchor_batch), n: Number(r.n) }));
}

describe.each(['sqlite', 'postgres'] as const)('anchor store on %s', (backend) => {
  const fresh = databases[backend];

  it('claims every unclaimed record received before the period end, each once, and creates nothing when there is none', async () => {
    const db = await fresh();
    const store = await started(db);
    expect(await store.claimBatch({ periodStart: null, periodEnd: NOW, now: NOW })).toBeUndefined();
    expect(await store.lastPeriodEnd()).toBeUndefined();

    await db.ingest('gw-a', [1, 2, 3, 4, 5], T0 + 100);
    await db.ingest('gw-b', [1, 2, 3], T0 + 200);
    await db.ingest('gw-a', [6, 7], T0 + 300);
    expect(await store.unclaimedCount(T0 + 300)).toBe(8);
    expect(await store.unclaimedCount(T0 + 301)).toBe(10);

    // Exclusive end: the records received at T0 + 300 wait for the next period.
    const first = await store.claimBatch({ periodStart: null, periodEnd: T0 + 300, now: NOW });
    expect(first).toEqual({ id: expect.any(Number), size: 8 });
    if (first === undefined) return;
    expect(await store.getBatch(first.id)).toEqual({
      id: first.id,
      periodStart: null,
      periodEnd: T0 + 300,
      status: 'building',
      size: 8,
      root: null,
      createdAt: NOW,
      updatedAt: NOW,
      txHash: null,
      blockNumber: null,
      blockHash: null,
      blockTime: null,
      gasUsed: null,
      costWei: null,
      confirmedAt: null,
      reorgs: 0,
    });
    expect(await store.unclaimedCount(T0 + 1000)).toBe(2);
    expect(await store.claimBatch({ periodStart: null, periodEnd: T0 + 300, now: NOW + 1 })).toBeUndefined();

    // A record received before the next period's start (a slow transaction, say) is left to an unbounded claim.
    await db.ingest('gw-c', [1], T0 + 50);
    const second = await store.claimBatch({ periodStart: T0 + 300, periodEnd: T0 + 400, now: NOW + 2 });
    expect(second?.size).toBe(2);
    expect(await store.claimBatch({ periodStart: T0 + 300, periodEnd: T0 + 1000, now: NOW + 3 })).toBeUndefined();
    const third = await store.claimBatch({ periodStart: null, periodEnd: T0 + 1000, now: NOW + 4 });
    expect(third?.size).toBe(1);
    if (second === undefined || third === undefined) return;
    expect((await leaves(store, third.id)).map(key)).toEqual(['gw-c/1']);

    expect(await store.lastPeriodEnd()).toBe(T0 + 1000);
    expect((await store.listBatches({ limit: 10 })).map((b) => b.id)).toEqual([third.id, second.id, first.id]);
    expect(await membership(db)).toEqual([
      { anchor_batch: first.id, n: 8 },
      { anchor_batch: second.id, n: 2 },
      { anchor_batch: third.id, n: 1 },
    ]);
  });

  // Records v2 on SQLite finds unclaimed records through one span per ingest (its seq range): a
  // resend overlapping records still unclaimed must not make them leaves of the resend's period.
  it('claims by receive time when a resend overlaps records still unclaimed', async () => {
    const db = await fresh();
    const store = await started(db);
    await db.ingest('gw-a', [1, 2, 3], T0 + 100);
    await db.ingest('gw-a', [2, 3, 4, 5], T0 + 200);
    expect(await store.unclaimedCount(T0 + 1000)).toBe(5);
    const later = await store.claimBatch({ periodStart: T0 + 150, periodEnd: T0 + 250, now: NOW });
    expect(later?.size).toBe(2);
    if (later === undefined) return;
    expect((await leaves(store, later.id)).map(key)).toEqual(['gw-a/4', 'gw-a/5']);
    expect(await store.unclaimedCount(T0 + 1000)).toBe(3);
    const rest = await store.claimBatch({ periodStart: null, periodEnd: T0 + 1000, now: NOW + 1 });
    expect(rest?.size).toBe(3);
    expect(await store.unclaimedCount(T0 + 1000)).toBe(0);
  });

  it("yields a batch's leaves in (gateway, seq) order a chunk at a time, and a leaf's index is its position", async () => {
    const db = await fresh();
    const store = await started(db);
    await db.ingest('gw-b', [4, 3, 2, 1], T0 + 1);
    await db.ingest('gw-a', [30, 2, 10, 4], T0 + 2);
    await db.ingest('gw-c', [1, 2, 3], T0 + 3);
    const batch = await store.claimBatch({ periodStart: null, periodEnd: T0 + 10, now: NOW });
    if (batch === undefined) throw new Error('nothing claimed');
    await db.ingest('gw-a', [31], T0 + 20);

    const expected = ['gw-a/2', 'gw-a/4', 'gw-a/10', 'gw-a/30', 'gw-b/1', 'gw-b/2', 'gw-b/3', 'gw-b/4', 'gw-c/1', 'gw-c/2', 'gw-c/3'];
    const byFour = await chunks(store.batchRecords(batch.id, 4));
    expect(byFour.map((c) => c.length)).toEqual([4, 4, 3]);
    expect(byFour.flat().map(key)).toEqual(expected);
    expect((await chunks(store.batchRecords(batch.id, 11))).map((c) => c.length)).toEqual([11]);
    expect((await chunks(store.batchRecords(batch.id))).map((c) => c.length)).toEqual([11]);
    expect(await chunks(store.batchRecords(batch.id + 100))).toEqual([]);
    await expect(chunks(store.batchRecords(batch.id, 0))).rejects.toMatchObject({ code: STORE_INVALID_QUERY });

    const all = byFour.flat();
    expect(all[2]).toMatchObject({
      gateway: 'gw-a',
      seq: 10,
      kind: 'reading',
      value: 2.5,
      receivedAt: T0 + 2,
      hash: Buffer.from('gw-a:10').toString('hex').padEnd(64, '0'),
    });
    for (const [index, record] of all.entries()) {
      expect(await store.recordAnchor(record.gateway, record.seq)).toEqual({ record, batchId: batch.id, index });
    }
    expect(await store.recordAnchor('gw-a', 31)).toMatchObject({ record: { gateway: 'gw-a', seq: 31 }, batchId: null, index: null });
    expect(await store.recordAnchor('gw-a', 99)).toBeUndefined();

    // Indexes restart at 0 in every batch.
    const next = await store.claimBatch({ periodStart: T0 + 10, periodEnd: T0 + 30, now: NOW });
    expect(await store.recordAnchor('gw-a', 31)).toMatchObject({ batchId: next?.id, index: 0 });
  });

  it('moves a batch from building to pending once, and lists batches newest first by status and before an id', async () => {
    const db = await fresh();
    const store = await started(db);
    const ids: number[] = [];
    for (let i = 1; i <= 3; i++) {
      await db.ingest('gw-a', [i], T0 + i);
      const claimed = await store.claimBatch({ periodStart: null, periodEnd: T0 + i + 1, now: NOW + i });
      if (claimed !== undefined) ids.push(claimed.id);
    }
    const [b1, b2, b3] = ids as [number, number, number];
    const root = 'ab'.repeat(32);
    expect(await store.setBatchRoot(b1, root, NOW + 10)).toBe(true);
    expect(await store.setBatchRoot(b1, 'cd'.repeat(32), NOW + 11)).toBe(false);
    expect(await store.getBatch(b1)).toMatchObject({ status: 'pending', root, createdAt: NOW + 1, updatedAt: NOW + 10 });
    expect(await store.getBatch(b3 + 1)).toBeUndefined();

    const listed = async (query: Parameters<AnchorStore['listBatches']>[0]): Promise<number[]> => (await store.listBatches(query)).map((b) => b.id);
    expect(await listed({ limit: 10 })).toEqual([b3, b2, b1]);
    expect(await listed({ limit: 1 })).toEqual([b3]);
    expect(await listed({ limit: 10, before: b3 })).toEqual([b2, b1]);
    expect(await listed({ limit: 10, status: ['pending'] })).toEqual([b1]);
    expect(await listed({ limit: 10, status: ['building', 'pending'], before: b2 })).toEqual([b1]);
    expect(await listed({ limit: 10, status: ['building'] })).toEqual([b3, b2]);
  });

  it('folds consecutive repeats of one code and batch into the newest error row', async () => {
    const store = await started(await fresh());
    const log = (at: number, code: string, batchId: number | null, message = `${code} at ${at}`, txId: number | null = null): Promise<void> =>
      store.logError({ at, code, batchId, txId, message });
    await log(1, 'RPC_DOWN', null);
    await log(2, 'RPC_DOWN', null);
    await log(3, 'RPC_DOWN', null, 'still down');
    await log(4, 'UNDERPRICED', 7, 'first', 11);
    await log(5, 'UNDERPRICED', 8);
    await log(6, 'UNDERPRICED', 8, 'again', 12);
    await log(7, 'RPC_DOWN', null);

    const rows = await store.errors(10);
    expect(rows.map(({ id: _id, ...row }) => row)).toEqual([
      { at: 7, lastAt: 7, count: 1, batchId: null, txId: null, code: 'RPC_DOWN', message: 'RPC_DOWN at 7' },
      { at: 5, lastAt: 6, count: 2, batchId: 8, txId: 12, code: 'UNDERPRICED', message: 'again' },
      { at: 4, lastAt: 4, count: 1, batchId: 7, txId: 11, code: 'UNDERPRICED', message: 'first' },
      { at: 1, lastAt: 3, count: 3, batchId: null, txId: null, code: 'RPC_DOWN', message: 'still down' },
    ]);
    expect((await store.errors(2)).map((r) => r.at)).toEqual([7, 5]);
  });

  it('two relays claiming at once while records arrive put every record in exactly one batch', async () => {
    const db = await fresh();
    const [a, b] = [await started(db), await started(db)];
    const claimed: Array<{ id: number; size: number }> = [];
    const claim = async (store: AnchorStore, periodEnd: number): Promise<void> => {
      const c = await store.claimBatch({ periodStart: null, periodEnd, now: NOW });
      if (c !== undefined) claimed.push(c);
    };
    for (let round = 0; round < 4; round++) {
      const at = T0 + round * 1000;
      await db.ingest(
        'gw-a',
        Array.from({ length: 200 }, (_, i) => round * 200 + i),
        at,
      );
      await Promise.all([
        claim(a, at + 500),
        claim(b, at + 500),
        // In a turn of its own, as a request is: on SQLite the relay store's synchronous ingest
        // would otherwise block the thread in its busy handler while a claim's transaction
        // waits for its next microtask on the same thread.
        new Promise<void>((resolve, reject) =>
          setImmediate(() =>
            db
              .ingest(
                'gw-b',
                Array.from({ length: 50 }, (_, i) => round * 50 + i),
                at + 1,
              )
              .then(resolve, reject),
          ),
        ),
        claim(b, at + 500),
        claim(a, at + 500),
      ]);
    }
    await claim(a, T0 + 10_000);

    const total = 4 * 250;
    expect(claimed.reduce((n, c) => n + c.size, 0)).toBe(total);
    expect(new Set(claimed.map((c) => c.id)).size).toBe(claimed.length);
    const members = await membership(db);
    expect(members.find((m) => m.anchor_batch === null)).toBeUndefined();
    expect(members.map((m) => ({ id: m.anchor_batch, size: m.n })).sort((x, y) => (x.id ?? 0) - (y.id ?? 0))).toEqual(
      claimed.slice().sort((x, y) => x.id - y.id),
    );
    for (const c of claimed) expect((await a.getBatch(c.id))?.size).toBe(c.size);
  });

  if (backend === 'postgres') {
    it('grants the lease to one holder at a time until it expires or is released', async () => {
      const db = await fresh();
      const [a, b] = [await started(db), await started(db)];
      const TTL = 30_000;
      expect(await a.acquireLease('relay-a', NOW, TTL)).toBe(true);
      expect(await b.acquireLease('relay-b', NOW + 1, TTL)).toBe(false);
      expect(await a.acquireLease('relay-a', NOW + 20_000, TTL)).toBe(true);
      // Renewed at +20 s: still held at +40 s, free at +50 s.
      expect(await b.acquireLease('relay-b', NOW + 40_000, TTL)).toBe(false);
      expect(await b.acquireLease('relay-b', NOW + 50_000, TTL)).toBe(true);
      expect(await a.acquireLease('relay-a', NOW + 50_001, TTL)).toBe(false);

      await a.releaseLease('relay-a');
      expect(await a.acquireLease('relay-a', NOW + 50_002, TTL)).toBe(false);
      await b.releaseLease('relay-b');
      expect(await a.acquireLease('relay-a', NOW + 50_003, TTL)).toBe(true);

      const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).acquireLease(`racer-${i}`, NOW + 200_000, TTL)));
      expect(racers.filter(Boolean)).toHaveLength(1);
    });
  } else {
    it('always grants the lease: one relay per SQLite file, and a restarted one does not wait out its predecessor', async () => {
      const db = await fresh();
      const store = await started(db);
      expect(await store.acquireLease('relay-a', NOW, 30_000)).toBe(true);
      expect(await store.acquireLease('relay-b', NOW + 1, 30_000)).toBe(true);
      expect(await db.rows('SELECT holder, expires_at FROM anchor_lease')).toEqual([{ holder: 'relay-b', expires_at: NOW + 30_001 }]);
      await store.releaseLease('relay-a');
      expect(await db.rows('SELECT holder FROM anchor_lease')).toEqual([{ holder: 'relay-b' }]);
      await store.releaseLease('relay-b');
      expect(await db.rows('SELECT holder FROM anchor_lease')).toEqual([]);
    });
  }
});
