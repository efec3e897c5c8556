import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  STORE_CLOSED,
  STORE_GATEWAY_EXISTS,
  STORE_INVALID_BATCH,
  STORE_INVALID_CURSOR,
  STORE_INVALID_QUERY,
  STORE_SCHEMA_TOO_NEW,
  STORE_UNKNOWN_GATEWAY,
} from '../../cloud/store/errors.ts';
import { createStore } from '../../cloud/store/index.ts';
import type { IngestInput, ReadingsQuery, RelayRecord, RelayStore } from '../../cloud/store/types.ts';
import type { AlarmDetail, Quality } from '../../protocols/records.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

type Offered = IngestInput['records'][number];

/** One empty database: stores opened on it, and one-value SQL for looking behind the interface. */
interface Database {
  /** PostgreSQL only: for connections of the test's own. */
  readonly url?: string;
  open(): RelayStore;
  scalar(sql: string): Promise<number>;
  /** Sets the schema version as a newer relay would have left it. */
  bumpSchema(): Promise<void>;
}

let dir: string;
let postgres: TestPostgres | undefined;
let opened: RelayStore[] = [];
/** Connections of the test's own (PostgreSQL), closed first: they may hold locks stores wait on. */
let clients: pg.Client[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  postgres = await startPostgres();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  clients = [];
  await Promise.all(opened.map((store) => store.stop()));
  opened = [];
});

afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const track = (store: RelayStore): RelayStore => {
  opened.push(store);
  return store;
};

let files = 0;
async function sqliteDatabase(): Promise<Database> {
  const file = path.join(dir, `relay-${++files}.db`);
  const withDb = <T>(fn: (db: Sqlite.Database) => T): T => {
    const db = new Sqlite(file);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    open: () => track(createStore({ kind: 'sqlite', path: file }, testLogger())),
    scalar: async (sql) => withDb((db) => db.prepare(sql).pluck().get() as number),
    bumpSchema: async () => withDb((db) => void db.pragma('user_version = 99')),
  };
}

async function postgresDatabase(): Promise<Database> {
  if (postgres === undefined) throw new Error('PostgreSQL not started');
  const url = await postgres.newDatabase();
  const query = async (sql: string): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    open: () => track(createStore({ kind: 'postgres', url }, testLogger())),
    scalar: async (sql) => Number(Object.values((await query(sql)).rows[0] ?? {})[0]),
    bumpSchema: async () => void (await query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')")),
  };
}

const T0 = 1_700_000_000_000;

function record(seq: number, over: Partial<Offered> = {}): Offered {
  return {
    gateway: 'gw-a',
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
    bootId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    priority: 0,
    flags: 0,
    hash: Buffer.from(`h${seq}`).toString('hex').padEnd(64, '0'),
    ...over,
  };
}

const range = (from: number, to: number, over: Partial<Offered> = {}): Offered[] => Array.from({ length: to - from + 1 }, (_, i) => record(from + i, over));

const batch = (records: Offered[], now = T0 + 10_000_000, gateway = 'gw-a'): IngestInput => ({ gateway, records, now, clockOffsetMs: 250 });

async function all(store: RelayStore, query: Omit<ReadingsQuery, 'limit' | 'cursor'>, limit = 10_000): Promise<RelayRecord[]> {
  const items: RelayRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryRecords({ ...query, limit, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return items;
}

const seqs = (items: readonly RelayRecord[]): number[] => items.map((r) => r.seq);

describe.each([
  ['sqlite', sqliteDatabase],
  ['postgres', postgresDatabase],
] as const)('relay store on %s', (backend, fresh) => {
  const versionSql = backend === 'sqlite' ? 'PRAGMA user_version' : 'SELECT max(version) FROM schema_migrations';

  async function started(db: Database): Promise<RelayStore> {
    const store = db.open();
    await store.start();
    return store;
  }

  it('migrates a fresh database once, keeps data across restarts, and refuses a newer schema', async () => {
    const db = await fresh();
    // Two relays starting at once on an empty database (PostgreSQL: under the advisory lock).
    const [a, b] = [db.open(), db.open()];
    await Promise.all([a.start(), b.start()]);
    const version = await db.scalar(versionSql);
    expect(version).toBeGreaterThanOrEqual(1);
    await a.addGateway('gw-a', 'sealed', T0);
    await Promise.all([a.stop(), b.stop()]);

    const again = await started(db);
    expect(await db.scalar(versionSql)).toBe(version);
    expect((await again.listGateways()).map((g) => g.id)).toEqual(['gw-a']);
    await again.stop();

    await db.bumpSchema();
    await expect(db.open().start()).rejects.toMatchObject({ code: STORE_SCHEMA_TOO_NEW });
  });

  it('adds, gets and lists gateways and refuses a duplicate id', async () => {
    const store = await started(await fresh());
    await store.addGateway('gw-b', 'sealed-b', T0 + 1);
    await store.addGateway('gw-a', 'sealed-a', T0);
    await expect(store.addGateway('gw-a', 'other', T0 + 2)).rejects.toMatchObject({ code: STORE_GATEWAY_EXISTS });
    expect(await store.getGateway('gw-a')).toEqual({
      id: 'gw-a',
      secretCiphertext: 'sealed-a',
      createdAt: T0,
      lastSeenAt: null,
      highestSeq: null,
      clockOffsetMs: null,
      records: 0,
      orgId: 'default',
    });
    expect(await store.getGateway('gw-zz')).toBeUndefined();
    expect((await store.listGateways()).map((g) => [g.id, g.secretCiphertext])).toEqual([
      ['gw-a', 'sealed-a'],
      ['gw-b', 'sealed-b'],
    ]);
  });

  it('claims a nonce once per gateway, and prunes expired nonces', async () => {
    const db = await fresh();
    const store = await started(db);
    expect(await store.claimNonce('gw-a', 'n1', T0 + 1000, T0)).toBe(true);
    expect(await store.claimNonce('gw-a', 'n1', T0 + 1000, T0 + 10)).toBe(false);
    expect(await store.claimNonce('gw-b', 'n1', T0 + 1000, T0 + 10)).toBe(true);
    // Past its expiry a nonce may be claimed again (the signed timestamp bounds replays then).
    expect(await store.claimNonce('gw-b', 'n1', T0 + 5000, T0 + 1000)).toBe(true);
    expect(await store.claimNonce('gw-a', 'n2', T0 + 600_000, T0 + 300_000)).toBe(true);
    expect(await db.scalar("SELECT count(*) FROM nonces WHERE nonce = 'n1'")).toBe(0);
    expect(await db.scalar('SELECT count(*) FROM nonces')).toBe(1);
  });

  it('stores a new batch, counts a resent one as duplicates, and keeps the gateway row current', async () => {
    const store = await started(await fresh());
    await store.addGateway('gw-a', 'sealed', T0);
    expect(await store.ingest(batch(range(1, 50), T0 + 5000))).toEqual({ ok: true, stored: 50, duplicates: 0, highestSeq: 50 });
    expect(await store.ingest(batch(range(1, 50), T0 + 6000))).toEqual({ ok: true, stored: 0, duplicates: 50, highestSeq: 50 });
    // Overlapping: 41..50 held already, 51..60 new, given out of order.
    expect(await store.ingest({ ...batch(range(41, 60).reverse(), T0 + 7000), clockOffsetMs: -40 })).toEqual({
      ok: true,
      stored: 10,
      duplicates: 10,
      highestSeq: 60,
    });
    expect(seqs(await all(store, { gateway: 'gw-a' }))).toEqual(range(1, 60).map((r) => r.seq));
    expect(await store.getGateway('gw-a')).toMatchObject({ lastSeenAt: T0 + 7000, highestSeq: 60, clockOffsetMs: -40, records: 60 });

    // A batch handled late (older now, lower seqs) moves neither back.
    await store.ingest(batch([record(1)], T0 + 1000));
    expect(await store.getGateway('gw-a')).toMatchObject({ lastSeenAt: T0 + 7000, highestSeq: 60, records: 60 });
  });

  it('stores nothing of a batch with a changed record, and records an integrity alarm', async () => {
    const store = await started(await fresh());
    await store.addGateway('gw-a', 'sealed', T0);
    await store.ingest(batch(range(1, 10)));
    const before = await store.getGateway('gw-a');

    const tampered = [record(9), record(10, { value: 99, hash: 'f'.repeat(64) }), ...range(11, 20)];
    expect(await store.ingest(batch(tampered, T0 + 20_000_000))).toEqual({ ok: false, conflicts: [10] });
    expect(seqs(await all(store, { gateway: 'gw-a' }))).toEqual(range(1, 10).map((r) => r.seq));
    expect((await all(store, { gateway: 'gw-a' }))[9]).toMatchObject({ seq: 10, value: 2.5, hash: record(10).hash });
    expect(await store.getGateway('gw-a')).toEqual(before);
    expect(await store.integrityAlarms(10)).toEqual([
      { id: expect.any(Number), gateway: 'gw-a', seq: 10, existingHash: record(10).hash, offeredHash: 'f'.repeat(64), at: T0 + 20_000_000 },
    ]);
    // The honest batch still goes in afterwards.
    expect(await store.ingest(batch(range(9, 20)))).toMatchObject({ ok: true, stored: 10, duplicates: 2 });
  });

  it('refuses batches it cannot take as given, storing nothing', async () => {
    const store = await started(await fresh());
    await store.addGateway('gw-a', 'sealed', T0);
    await expect(store.ingest(batch(range(1, 3, { gateway: 'gw-nobody' }), T0, 'gw-nobody'))).rejects.toMatchObject({ code: STORE_UNKNOWN_GATEWAY });
    await expect(store.ingest(batch([record(1), record(2), record(2)]))).rejects.toMatchObject({ code: STORE_INVALID_BATCH });
    await expect(store.ingest(batch([record(1), record(2, { gateway: 'gw-b' })]))).rejects.toMatchObject({ code: STORE_INVALID_BATCH });
    await expect(store.ingest(batch([record(1, { mono: 1.5 })]))).rejects.toMatchObject({ code: STORE_INVALID_BATCH });
    expect(await all(store, {})).toEqual([]);
  });

  it('round-trips every field: alarm detail, nulls, exception codes, corrected time', async () => {
    const store = await started(await fresh());
    await store.addGateway('gw-a', 'sealed', T0);
    const alarm: AlarmDetail = { rule: 'device', level: 'alarm', state: 'raised', threshold: null };
    const offered: Offered[] = [
      record(1, { kind: 'alarm', priority: 2, value: 12.75, alarm: { rule: 'high1', level: 'warning', state: 'cleared', threshold: 10 } }),
      record(2, { kind: 'alarm', priority: 2, value: null, quality: 'sensor_fault', alarm }),
      record(3, { value: null, quality: 'exception' satisfies Quality, exception: 2, unit: 'm³/h', device: "flow 'main'", channel: 'totalizer,1' }),
      record(4, { value: -0.1, flags: RECORD_FLAGS.clockUnsynced, ts: 1000, tsCorrected: T0 + 4000, priority: 1 }),
      record(5, { value: 1e-300, mono: 2 ** 40 }),
    ];
    await store.ingest(batch(offered, T0 + 9000));
    expect(await all(store, { gateway: 'gw-a' })).toEqual(offered.map((r) => ({ ...r, receivedAt: T0 + 9000 })));
  });

  it('filters records and pages through them by (time, gateway, seq) without gaps or repeats', async () => {
    const store = await started(await fresh());
    await store.addGateway('gw-a', 'sealed', T0);
    await store.addGateway('gw-b', 'sealed', T0);
    // Two gateways reading at the same instants, so time ties are broken by gateway then seq.
    const devices = ['gas-1', 'gas-2'];
    const of = (gateway: string): Offered[] =>
      Array.from({ length: 40 }, (_, i) =>
        record(i + 1, { gateway, device: devices[i % 2] as string, channel: i % 4 < 2 ? 'ch4' : 'h2s', ts: T0 + Math.floor(i / 2) * 1000 }),
      );
    const a = of('gw-a');
    const b = of('gw-b');
    // A corrected record sorts by its corrected time: seq 40 of gw-b moves to the front.
    b[39] = { ...(b[39] as Offered), ts: 5, tsCorrected: T0 - 1, flags: RECORD_FLAGS.clockUnsynced };
    // An alarm among the readings.
    a[10] = { ...(a[10] as Offered), kind: 'alarm', priority: 2, alarm: { rule: 'high1', level: 'alarm', state: 'raised', threshold: 20 } };
    await store.ingest(batch(b, T0, 'gw-b'));
    await store.ingest(batch(a, T0, 'gw-a'));

    const time = (r: Offered): number => r.tsCorrected ?? r.ts;
    const expected = (keep: (r: Offered) => boolean): string[] =>
      [...a, ...b]
        .filter(keep)
        .sort((x, y) => time(x) - time(y) || x.gateway.localeCompare(y.gateway) || x.seq - y.seq)
        .map((r) => `${r.gateway}/${r.seq}`);
    const keys = (items: readonly RelayRecord[]): string[] => items.map((r) => `${r.gateway}/${r.seq}`);

    const queries: Array<[Omit<ReadingsQuery, 'limit' | 'cursor'>, (r: Offered) => boolean]> = [
      [{}, () => true],
      [{ gateway: 'gw-b' }, (r) => r.gateway === 'gw-b'],
      // SQLite merges these from the gateway's channel series (records v2, cloud/store/gateway-page.ts).
      [{ gateway: 'gw-a', device: 'gas-1' }, (r) => r.gateway === 'gw-a' && r.device === 'gas-1'],
      [{ gateway: 'gw-b', channel: 'h2s', to: T0 + 15_000 }, (r) => r.gateway === 'gw-b' && r.channel === 'h2s' && time(r) < T0 + 15_000],
      [{ gateway: 'gw-a', device: 'gas-2', channel: 'h2s' }, (r) => r.gateway === 'gw-a' && r.device === 'gas-2' && r.channel === 'h2s'],
      [{ device: 'gas-1' }, (r) => r.device === 'gas-1'],
      [{ kind: 'alarm' }, (r) => r.kind === 'alarm'],
      [
        { gateway: 'gw-a', kind: 'reading', from: T0 + 3000, to: T0 + 9000 },
        (r) => r.gateway === 'gw-a' && r.kind === 'reading' && time(r) >= T0 + 3000 && time(r) < T0 + 9000,
      ],
      [{ from: T0 + 5000 }, (r) => time(r) >= T0 + 5000],
      [{ to: T0 + 2000 }, (r) => time(r) < T0 + 2000],
    ];
    for (const [query, keep] of queries) {
      const want = expected(keep);
      expect(want.length).toBeGreaterThan(0);
      expect(keys(await all(store, query))).toEqual(want);
      // Pages of 3: the same sequence, split.
      expect(keys(await all(store, query, 3))).toEqual(want);
    }

    const first = await store.queryRecords({ limit: 80 });
    expect(first.next).toBeNull();
    const page = await store.queryRecords({ limit: 79 });
    expect(page.items).toHaveLength(79);
    expect(page.next).not.toBeNull();
    // A cursor before `from` leaves from in charge; one after it takes over.
    const cursor = (await store.queryRecords({ limit: 10 })).next ?? '';
    expect(keys((await store.queryRecords({ from: T0 + 10_000, cursor, limit: 5 })).items)).toEqual(expected((r) => time(r) >= T0 + 10_000).slice(0, 5));
    expect(keys((await store.queryRecords({ from: T0 - 10_000, cursor, limit: 5 })).items)).toEqual(expected(() => true).slice(10, 15));
  });

  it('rejects bad queries and calls on a store that is not running', async () => {
    const store = await started(await fresh());
    for (const limit of [0, 10_001, 1.5]) await expect(store.queryRecords({ limit })).rejects.toMatchObject({ code: STORE_INVALID_QUERY });
    await expect(store.queryRecords({ limit: 5, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: STORE_INVALID_CURSOR });
    await expect(store.queryRecords({ limit: 5, cursor: Buffer.from('[1,"gw",null]').toString('base64url') })).rejects.toMatchObject({
      code: STORE_INVALID_CURSOR,
    });
    await store.stop();
    await store.stop();
    await expect(store.listGateways()).rejects.toMatchObject({ code: STORE_CLOSED });
    await expect(store.ingest(batch([record(1)]))).rejects.toMatchObject({ code: STORE_CLOSED });
  });

  if (backend === 'postgres') describeConcurrency(fresh);
});

/**
 * Two stores with their own Pools stand for two relay instances. `gate` holds the gateway row
 * locked from a third connection: an ingest then stops at its gateway update with its records
 * inserted and uncommitted, so the other relay's insert of the same keys must wait for it, which
 * is the READ COMMITTED race the store has to get right.
 */
function describeConcurrency(fresh: () => Promise<Database>): void {
  async function gate(db: Database): Promise<{ waiting(n: number): Promise<void>; open(): Promise<void> }> {
    const holder = new pg.Client({ connectionString: db.url });
    clients.push(holder);
    await holder.connect();
    await holder.query("BEGIN; SELECT 1 FROM gateways WHERE id = 'gw-a' FOR UPDATE");
    const waitingSql = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
    return {
      waiting: async (n) => void (await waitFor(async () => (await db.scalar(waitingSql)) >= n, `${n} transactions waiting on locks`)),
      open: async () => void (await holder.query('COMMIT')),
    };
  }

  it('two relays ingesting overlapping batches at once store every seq exactly once', async () => {
    const db = await fresh();
    const [one, two] = [db.open(), db.open()];
    await Promise.all([one.start(), two.start()]);
    await one.addGateway('gw-a', 'sealed', T0);

    const lock = await gate(db);
    const first = one.ingest(batch(range(1, 3000)));
    await lock.waiting(1);
    const second = two.ingest(batch(range(2001, 5000)));
    await lock.waiting(2);
    await lock.open();
    const outcomes = await Promise.all([first, second]);
    expect(outcomes).toEqual([
      { ok: true, stored: 3000, duplicates: 0, highestSeq: 3000 },
      { ok: true, stored: 2000, duplicates: 1000, highestSeq: 5000 },
    ]);

    // And unsynchronized: many overlapping batches from both at once.
    const batches = Array.from({ length: 8 }, (_, i) => range(4001 + i * 500, 5500 + i * 500));
    const free = await Promise.all(batches.map((records, i) => (i % 2 === 0 ? one : two).ingest(batch(records))));
    expect(free.every((o) => o.ok)).toBe(true);
    expect(await db.scalar('SELECT count(*) FROM records')).toBe(9000);
    expect(await db.scalar('SELECT count(DISTINCT seq) FROM records')).toBe(9000);
    expect(await one.getGateway('gw-a')).toMatchObject({ highestSeq: 9000, records: 9000 });
  });

  it('two relays inserting the same new seqs with different content: one stored, the other a conflict', async () => {
    const db = await fresh();
    const [one, two] = [db.open(), db.open()];
    await Promise.all([one.start(), two.start()]);
    await one.addGateway('gw-a', 'sealed', T0);

    const lock = await gate(db);
    const first = one.ingest(batch(range(1, 100)));
    await lock.waiting(1);
    const second = two.ingest(batch(range(1, 100, { hash: 'e'.repeat(64) })));
    await lock.waiting(2);
    await lock.open();
    const [won, lost] = await Promise.all([first, second]);
    expect(won).toEqual({ ok: true, stored: 100, duplicates: 0, highestSeq: 100 });
    expect(lost).toEqual({ ok: false, conflicts: range(1, 100).map((r) => r.seq) });
    expect(await db.scalar("SELECT count(*) FROM records WHERE encode(hash, 'hex') = repeat('e', 64)")).toBe(0);
    expect(await db.scalar('SELECT count(*) FROM integrity_alarms')).toBe(100);
    expect(await two.getGateway('gw-a')).toMatchObject({ records: 100 });
  });

  it('lets one relay of two claim a nonce raced for', async () => {
    const db = await fresh();
    const [one, two] = [db.open(), db.open()];
    await Promise.all([one.start(), two.start()]);
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).claimNonce('gw-a', 'n', T0 + 60_000, T0)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
}
