/**
 * The provider sources' store (cloud/store/sources-store.ts, issue 17 §1) on SQLite and on a
 * throwaway PostgreSQL: a source is a virtual gateway whose records the relay numbers gapless in
 * the transaction that claims the provider's message ids and moves the cursor; a redelivery is
 * stored once, a failed transaction leaves the cursor and the ids where they were, and two relays
 * ingesting the same page at once (PostgreSQL) store it once with no gap.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_EXISTS } from '../../cloud/providers/errors.ts';
import { createRelayDatabase, type RelayDatabase, type StoreConfig } from '../../cloud/store/index.ts';
import type { SourceMessage } from '../../cloud/store/sources-types.ts';
import { isAtalayaError } from '../../protocols/errors.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

let dir: string;
let postgres: TestPostgres | undefined;
let opened: RelayDatabase[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-sources-'));
  postgres = await startPostgres();
});
afterEach(async () => {
  await Promise.all(opened.map((d) => d.stop()));
  opened = [];
});
afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function sqlite(): Promise<StoreConfig> {
  return { kind: 'sqlite', path: path.join(dir, `s-${++n}.db`) };
}
async function postgresConfig(): Promise<StoreConfig> {
  if (postgres === undefined) throw new Error('PostgreSQL not started');
  return { kind: 'postgres', url: await postgres.newDatabase() };
}
async function open(config: StoreConfig): Promise<RelayDatabase> {
  const db = createRelayDatabase(config, testLogger());
  opened.push(db);
  await db.start();
  return db;
}

const T = Date.parse('2026-12-07T10:00:00Z');
function message(i: number, at = T + i * 60_000): SourceMessage {
  const r = { kind: 'reading' as const, device: 'pozo-lora', unit: 'L/s', quality: 'good' as const, exception: null, ts: at };
  return {
    id: `dev:${i}`,
    at,
    records: [
      { ...r, channel: 'flow', value: 10 + i },
      { ...r, channel: 'level', value: 20 + i, unit: 'm' },
    ],
  };
}
const seqs = async (db: RelayDatabase): Promise<number[]> =>
  (await db.records.queryRecords({ gateway: 'src-ttn', limit: 10_000 })).items.map((r) => r.seq).sort((a, b) => a - b);

describe.each([
  ['sqlite', sqlite],
  ['postgres', postgresConfig],
] as const)('sources store (%s)', (_backend, config) => {
  it('provisions a source with its virtual gateway once', async () => {
    const db = await open(await config());
    await db.sources.addSource({ id: 'ttn', kind: 'tts', org: 'default', gatewaySecretCiphertext: 'v1.x', now: T });
    expect(await db.sources.getSource('ttn')).toMatchObject({ id: 'ttn', kind: 'tts', gateway: 'src-ttn', org: 'default', cursor: null, messages: 0 });
    expect((await db.records.getGateway('src-ttn'))?.highestSeq).toBeNull();
    const again = await db.sources.addSource({ id: 'ttn', kind: 'tago', org: 'default', gatewaySecretCiphertext: 'v1.x', now: T }).catch((e: unknown) => e);
    expect(isAtalayaError(again, SOURCE_EXISTS)).toBe(true);
  });

  it('numbers records gapless from the gateway, stores a redelivered message once, commits cursor and problems with them', async () => {
    const db = await open(await config());
    await db.sources.addSource({ id: 'ttn', kind: 'tts', org: 'default', gatewaySecretCiphertext: 'v1.x', now: T });
    const first = await db.sources.ingest({ source: 'ttn', messages: [message(1), message(2)], cursor: 'c1', problems: [], now: T });
    expect(first).toEqual({ messages: 2, records: 4, duplicates: 0, firstSeq: 1, lastSeq: 4 });
    const second = await db.sources.ingest({
      source: 'ttn',
      messages: [message(2), message(3)],
      cursor: 'c2',
      problems: [
        { reason: 'missing_field', detail: 'pozo-lora: totalizer' },
        { reason: 'missing_field', detail: 'pozo-lora: level' },
      ],
      now: T + 1,
    });
    expect(second).toEqual({ messages: 1, records: 2, duplicates: 1, firstSeq: 5, lastSeq: 6 });
    expect(await seqs(db)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await db.sources.getSource('ttn')).toMatchObject({ cursor: 'c2', messages: 3, duplicates: 1, lastSuccessAt: T + 1 });
    expect(await db.sources.problems('ttn')).toEqual([{ source: 'ttn', reason: 'missing_field', count: 2, lastAt: T + 1, lastDetail: 'pozo-lora: level' }]);
    expect(await db.records.getGateway('src-ttn')).toMatchObject({ highestSeq: 6, records: 6, lastSeenAt: T + 1 });
  });

  it('a reused id beyond the dedup window is a new message (a frame counter that restarted)', async () => {
    const db = await open(await config());
    await db.sources.addSource({ id: 'ttn', kind: 'tts', org: 'default', gatewaySecretCiphertext: 'v1.x', now: T });
    const windowed = (at: number): SourceMessage => ({ ...message(1, at), dedupWindowMs: 3_600_000 });
    await db.sources.ingest({ source: 'ttn', messages: [windowed(T)], problems: [], now: T });
    expect((await db.sources.ingest({ source: 'ttn', messages: [windowed(T + 1000)], problems: [], now: T })).duplicates).toBe(1);
    expect((await db.sources.ingest({ source: 'ttn', messages: [windowed(T + 86_400_000)], problems: [], now: T })).messages).toBe(1);
    expect(await seqs(db)).toEqual([1, 2, 3, 4]);
  });

  it('a record the relay would refuse from a gateway is counted as invalid_record; the rest of its message is stored', async () => {
    const db = await open(await config());
    await db.sources.addSource({ id: 'ttn', kind: 'tts', org: 'default', gatewaySecretCiphertext: 'v1.x', now: T });
    const odd = message(1);
    const broken = { ...odd, records: [{ ...odd.records[0]!, ts: 1.5 }, odd.records[1]!] };
    expect(await db.sources.ingest({ source: 'ttn', messages: [broken], cursor: 'c1', problems: [], now: T })).toMatchObject({ messages: 1, records: 1 });
    expect(await db.sources.problems('ttn')).toMatchObject([{ reason: 'invalid_record', count: 1, lastDetail: 'pozo-lora/flow: ts' }]);
    expect(await seqs(db)).toEqual([1]);
  });

  it('two relays ingesting the same pages at once store each message once, seqs gapless', async () => {
    const cfg = await config();
    const a = await open(cfg);
    await a.sources.addSource({ id: 'ttn', kind: 'tts', org: 'default', gatewaySecretCiphertext: 'v1.x', now: T });
    // On SQLite the second handle is a second connection to the same file (BEGIN IMMEDIATE serializes them).
    const b = await open(cfg);
    const pages = Array.from({ length: 20 }, (_, p) => Array.from({ length: 10 }, (_, i) => message(p * 5 + i)));
    await Promise.all(pages.flatMap((page) => [a, b].map((db) => db.sources.ingest({ source: 'ttn', messages: page, problems: [], now: T }))));
    const stored = await seqs(a);
    const distinctMessages = new Set(pages.flat().map((m) => m.id)).size;
    expect(stored.length).toBe(distinctMessages * 2);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
  });
});
