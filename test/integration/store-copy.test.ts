/**
 * PostgreSQL ingest's COPY fast path (cloud/store/records-ingest.ts, sql-postgres-copy.ts): a
 * batch of new keys goes in by COPY's text format, so every awkward value must come back exactly as
 * offered and as the INSERT path stores it; a batch with a held key falls back to the INSERT path
 * and still tells duplicates from conflicts. A throwaway PostgreSQL cluster.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../cloud/store/index.ts';
import type { IngestInput, RelayRecord, RelayStore } from '../../cloud/store/types.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

type Offered = IngestInput['records'][number];

let postgres: TestPostgres;
let stores: RelayStore[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
});
afterEach(async () => {
  await Promise.all(stores.map((s) => s.stop()));
  stores = [];
});
afterAll(async () => {
  await postgres.stop();
});

const T0 = 1_700_000_000_000;

async function openStore(): Promise<RelayStore> {
  const store = createStore({ kind: 'postgres', url: await postgres.newDatabase() }, testLogger());
  stores.push(store);
  await store.start();
  await store.addGateway('gw\\tab', 'ciphertext', T0);
  return store;
}

function record(seq: number, over: Partial<Offered> = {}): Offered {
  return {
    gateway: 'gw\\tab',
    seq,
    kind: 'reading',
    device: 'gas-1',
    channel: 'ch4',
    value: seq / 4,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: T0 + seq * 1000,
    tsCorrected: null,
    mono: 5_000 + seq * 1000,
    bootId: 'b0',
    priority: 0,
    flags: 0,
    hash: Buffer.from(`h${seq}`).toString('hex').padEnd(64, '0'),
    ...over,
  };
}

const awkward: Offered[] = [
  record(1, { device: 'back\\slash', channel: 'tab\there', unit: 'new\nline', value: -0 }),
  record(2, { device: 'cr\r', channel: '\\N', unit: 'µS/cm ñ 🌊', value: 1e-300 }),
  record(3, { value: 1e21, exception: 4, tsCorrected: T0 + 1, priority: 2, flags: 7 }),
  record(4, { value: null, quality: 'exception', exception: 2 }),
  record(5, { kind: 'alarm', value: 0.1 + 0.2, alarm: { rule: 'r "q"\t\\', level: 'alarm', state: 'raised', threshold: 12.5 } }),
  record(6, { value: Number.MAX_VALUE, mono: Number.MAX_SAFE_INTEGER, ts: 0 }),
];

const input = (records: Offered[], now = T0 + 10_000_000): IngestInput => ({ gateway: 'gw\\tab', records, now, clockOffsetMs: 250 });

/** What queryRecords gives back for an offered record received at `now`. */
const expected = (r: Offered, now: number): RelayRecord => {
  const { alarm, ...rest } = r;
  return { ...rest, value: r.value === null ? null : r.value === 0 ? 0 : r.value, receivedAt: now, ...(alarm === undefined ? {} : { alarm }) } as RelayRecord;
};

describe('PostgreSQL ingest by COPY', () => {
  it('stores every value of a new batch exactly as offered', async () => {
    const store = await openStore();
    expect(await store.ingest(input(awkward))).toEqual({ ok: true, stored: 6, duplicates: 0, highestSeq: 6 });
    const { items } = await store.queryRecords({ gateway: 'gw\\tab', limit: 100 });
    const bySeq = new Map(items.map((r) => [r.seq, r]));
    for (const r of awkward) expect(bySeq.get(r.seq)).toEqual(expected(r, T0 + 10_000_000));
  });

  it('falls back to the INSERT path for a batch with held keys: duplicates counted, new keys stored, conflicts refused', async () => {
    const store = await openStore();
    await store.ingest(input(awkward.slice(0, 3)));
    expect(await store.ingest(input(awkward))).toEqual({ ok: true, stored: 3, duplicates: 3, highestSeq: 6 });
    const changed = record(7);
    await store.ingest(input([changed]));
    expect(await store.ingest(input([record(8), { ...changed, hash: 'f'.repeat(64) }]))).toEqual({ ok: false, conflicts: [7] });
    const { items } = await store.queryRecords({ gateway: 'gw\\tab', limit: 100 });
    expect(items.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await store.integrityAlarms(10)).map((a) => a.seq)).toEqual([7]);
  });
});
