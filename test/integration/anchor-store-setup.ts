/** Shared by the anchor store tests: one empty relay database per test, SQLite or PostgreSQL, with records ingested by the relay store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createAnchorStore } from '../../cloud/store/anchor.ts';
import type { AnchorStore, SignedTx } from '../../cloud/store/anchor-types.ts';
import { createStore, type StoreConfig } from '../../cloud/store/index.ts';
import type { IngestInput, RelayStore } from '../../cloud/store/types.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

export type Backend = 'sqlite' | 'postgres';

export interface AnchorDb {
  readonly backend: Backend;
  /** A new anchor store on the database (not started). */
  open(): AnchorStore;
  /** Stores records of `gateway` with these seqs, received at `receivedAt` (the relay store's ingest). */
  ingest(gateway: string, seqs: readonly number[], receivedAt: number): Promise<void>;
  /** Raw SQL on a connection of the test's own, to look behind the interface. */
  rows<R>(sql: string): Promise<R[]>;
}

export const T0 = 1_750_000_000_000;
export const BOOT = 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';

/**
 * Registers the hooks of a test file and returns how to get a fresh database per backend.
 * Every store opened is stopped after each test, the cluster and files after the file.
 */
export function anchorDatabases(): Record<Backend, () => Promise<AnchorDb>> {
  let dir = '';
  let postgres: TestPostgres | undefined;
  let opened: Array<AnchorStore | RelayStore> = [];
  let files = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-anchor-'));
    postgres = await startPostgres();
  });
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.stop()));
    opened = [];
  });
  afterAll(async () => {
    await postgres?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function database(backend: Backend, config: StoreConfig, rows: AnchorDb['rows']): Promise<AnchorDb> {
    const relay = createStore(config, testLogger());
    opened.push(relay);
    await relay.start();
    const gateways = new Set<string>();
    return {
      backend,
      open: () => {
        const store = createAnchorStore(config, testLogger());
        opened.push(store);
        return store;
      },
      ingest: async (gateway, seqs, receivedAt) => {
        if (!gateways.has(gateway)) {
          await relay.addGateway(gateway, 'sealed', T0);
          gateways.add(gateway);
        }
        const outcome = await relay.ingest(batch(gateway, seqs, receivedAt));
        if (!outcome.ok) throw new Error(`ingest conflicted on ${outcome.conflicts.join(', ')}`);
      },
      rows,
    };
  }

  return {
    sqlite: async () => {
      const file = path.join(dir, `anchor-${++files}.db`);
      return database('sqlite', { kind: 'sqlite', path: file }, async <R>(sql: string) => {
        const db = new Sqlite(file);
        try {
          return db.prepare(sql).all() as R[];
        } finally {
          db.close();
        }
      });
    },
    postgres: async () => {
      if (postgres === undefined) throw new Error('PostgreSQL not started');
      const url = await postgres.newDatabase();
      return database('postgres', { kind: 'postgres', url }, async <R>(sql: string) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(sql)).rows as R[];
        } finally {
          await client.end();
        }
      });
    },
  };
}

function batch(gateway: string, seqs: readonly number[], now: number): IngestInput {
  const records = seqs.map((seq): IngestInput['records'][number] => ({
    gateway,
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
    bootId: BOOT,
    priority: 0,
    flags: 0,
    hash: Buffer.from(`${gateway}:${seq}`).toString('hex').padEnd(64, '0'),
  }));
  return { gateway, records, now, clockOffsetMs: null };
}

export async function started(db: AnchorDb): Promise<AnchorStore> {
  const store = db.open();
  await store.start();
  return store;
}

/** Everything batchRecords yields, chunk by chunk. */
export async function chunks<T>(iterable: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

/** A fake signer: what a wallet would return for this nonce (hash and raw differ per nonce and fee). */
export function signer(fee = '30000000000', tip = '1000000000'): { calls: number[]; sign: (nonce: number) => Promise<SignedTx> } {
  const calls: number[] = [];
  return {
    calls,
    sign: async (nonce) => {
      calls.push(nonce);
      return signedTx(nonce, fee, tip);
    },
  };
}

export function signedTx(nonce: number, fee = '30000000000', tip = '1000000000'): SignedTx {
  const tag = `${nonce.toString(16)}${fee}${tip}`;
  return { nonce, hash: `0x${tag.padStart(64, 'a')}`, raw: `0x02f8${tag}`, maxFeePerGas: fee, maxPriorityFeePerGas: tip };
}
