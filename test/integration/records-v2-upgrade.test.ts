/**
 * Issue 18 §3 upgrade: a relay SQLite file as the relay before records v2 left it (every migration
 * before migrations-records-v2.ts: text kind, quality and hash, records_unanchored) with readings of
 * every quality, alarms, corrected times, two anchored batches, unanchored records, integrity
 * alarms and DGA slots, opens with the new code with every record kept as it was, every stored
 * anchor root recomputed equal from the migrated rows, proofs that verify, and the unanchored
 * records still claimable, exactly those.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeOfBatch } from '../../cloud/anchor/batcher.ts';
import { ProofService } from '../../cloud/anchor/proofs.ts';
import { verifyDb } from '../../cloud/anchor/verify-db.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/database.ts';
import { SQLITE_RECORDS_V2 } from '../../cloud/store/migrations-records-v2.ts';
import { migrateSqlite, SQLITE_MIGRATIONS, userVersion } from '../../cloud/store/migrations-sqlite.ts';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { buildTreeFromLeafHashes, checkProofOffline, recordLeafHash, root } from '../../protocols/anchor/index.ts';
import { QUALITIES, type StoredRecord } from '../../protocols/records.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';
import { testLogger } from '../helpers/logger.ts';

const logger = testLogger();
const T0 = Date.UTC(2026, 0, 5);
const GATEWAYS = ['gw-north', 'gw-south'];
const PER_GATEWAY = 400;
/** Records of one ingest share a receive time: 50 per ingest. */
const receivedAt = (seq: number): number => T0 + Math.floor(seq / 50) * 1000;
/** Batch 1 holds what was received before PERIOD_1, batch 2 up to PERIOD_2; the rest is unanchored. */
const PERIOD_1 = receivedAt(200);
const PERIOD_2 = receivedAt(300);

function record(gateway: string, seq: number): RelayRecord {
  const alarm = seq % 25 === 0;
  const quality = QUALITIES[seq % QUALITIES.length] ?? 'good';
  const stored: StoredRecord = {
    seq,
    kind: alarm ? 'alarm' : 'reading',
    device: `dev-${seq % 3}`,
    channel: `ch-${seq % 7}`,
    value: quality === 'good' ? seq / 8 : null,
    unit: 'm',
    quality,
    exception: quality === 'exception' ? 2 : null,
    ts: T0 + seq * 1000,
    mono: seq * 1000,
    bootId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    priority: alarm ? 1 : 0,
    flags: seq % 11 === 0 ? 1 : 0,
    ...(alarm ? { alarm: { rule: 'high1', level: 'warning', state: seq % 50 === 0 ? 'cleared' : 'raised', threshold: 12.5 } } : {}),
  };
  return {
    ...stored,
    gateway,
    tsCorrected: seq % 13 === 0 ? stored.ts + 7 : null,
    receivedAt: receivedAt(seq),
    hash: recordHash(gateway, stored),
  } as RelayRecord;
}

const ALL = GATEWAYS.flatMap((gateway) => Array.from({ length: PER_GATEWAY }, (_, i) => record(gateway, i + 1)));
const inBatch = (r: RelayRecord): 1 | 2 | null => (r.receivedAt < PERIOD_1 ? 1 : r.receivedAt < PERIOD_2 ? 2 : null);

/** The root anchoring computes for a batch's records, in leaf order (gateway, seq). */
function rootOf(records: readonly RelayRecord[]): string {
  const sorted = records.slice().sort((a, b) => (a.gateway === b.gateway ? a.seq - b.seq : a.gateway < b.gateway ? -1 : 1));
  return root(buildTreeFromLeafHashes(Buffer.concat(sorted.map((r) => recordLeafHash(r.gateway, r))))).toString('hex');
}

/** The file as the relay before records v2 wrote it. */
function seedOldFile(file: string): void {
  const db = new Sqlite(file);
  try {
    migrateSqlite(db, logger, SQLITE_MIGRATIONS.slice(0, SQLITE_MIGRATIONS.indexOf(SQLITE_RECORDS_V2)));
    const gateway = db.prepare('INSERT INTO gateways (id, secret_ciphertext, created_at, highest_seq, record_count) VALUES (?, ?, ?, ?, ?)');
    const insert = db.prepare(`INSERT INTO records (gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono,
      boot_id, priority, flags, alarm, received_at, hash, anchor_batch) VALUES (${Array(19).fill('?').join(', ')})`);
    const batch = db.prepare(`INSERT INTO anchor_batches (id, period_end, status, size, root, created_at, updated_at, tx_hash, block_number,
      block_hash, block_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (const id of GATEWAYS) gateway.run(id, 'sealed', T0, PER_GATEWAY, PER_GATEWAY);
      for (const r of ALL) {
        const alarm = r.alarm === undefined ? null : JSON.stringify(r.alarm);
        insert.run(
          r.gateway,
          r.seq,
          r.kind,
          r.device,
          r.channel,
          r.value,
          r.unit,
          r.quality,
          r.exception,
          r.ts,
          r.tsCorrected,
          r.mono,
          r.bootId,
          r.priority,
          r.flags,
          alarm,
          r.receivedAt,
          r.hash,
          inBatch(r),
        );
      }
      for (const id of [1, 2] as const) {
        const leaves = ALL.filter((r) => inBatch(r) === id);
        const mined = id === 1 ? [`0x${'ab'.repeat(32)}`, 42, `0x${'cd'.repeat(32)}`, T0 + 9_000] : [null, null, null, null];
        batch.run(id, id === 1 ? PERIOD_1 : PERIOD_2, id === 1 ? 'confirmed' : 'pending', leaves.length, rootOf(leaves), T0, T0, ...mined);
      }
      db.prepare('INSERT INTO integrity_alarms (gateway, seq, existing_hash, offered_hash, at) VALUES (?, 3, ?, ?, ?)').run(
        'gw-north',
        'a'.repeat(64),
        'b'.repeat(64),
        T0,
      );
      db.prepare("INSERT INTO dga_obras (obra, created_at) VALUES ('OB-0101-1', ?)").run(T0);
      db.prepare("INSERT INTO dga_submissions (obra, slot, kind, state, created_at, updated_at) VALUES ('OB-0101-1', ?, 'hourly', 'accepted', ?, ?)").run(
        T0,
        T0,
        T0,
      );
    })();
  } finally {
    db.close();
  }
}

let dir: string;
let relay: RelayDatabase;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-records-v2-'));
  const file = path.join(dir, 'relay.db');
  seedOldFile(file);
  relay = createRelayDatabase({ kind: 'sqlite', path: file }, logger);
  await relay.start();
});

afterAll(async () => {
  await relay?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('records v2 upgrade (SQLite)', () => {
  it('keeps every record exactly as it was, now stored narrow', async () => {
    const got: RelayRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await relay.records.queryRecords({ limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      got.push(...page.items);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    const key = (r: RelayRecord): string => `${r.gateway}/${r.seq}`;
    expect(new Map(got.map((r) => [key(r), r]))).toEqual(new Map(ALL.map((r) => [key(r), r])));
    const file = new Sqlite(path.join(dir, 'relay.db'), { readonly: true });
    try {
      expect(userVersion(file)).toBe(SQLITE_MIGRATIONS.length);
      const types = file.prepare('SELECT DISTINCT typeof(kind) AS k, typeof(quality) AS q, typeof(hash) AS h, length(hash) AS n FROM records').all();
      expect(types).toEqual([{ k: 'integer', q: 'integer', h: 'blob', n: 32 }]);
      expect(file.prepare('SELECT count(*) AS n FROM integrity_alarms').get()).toEqual({ n: 1 });
      expect(file.prepare('SELECT count(*) AS n FROM dga_submissions').get()).toEqual({ n: 1 });
    } finally {
      file.close();
    }
  });

  it('recomputes every stored anchor root from the migrated rows, and its proofs verify', async () => {
    const checks = await verifyDb(relay.anchor, undefined, undefined);
    expect(checks.map((c) => [c.batch, c.recomputedRoot === c.storedRoot, c.size])).toEqual([
      [1, true, ALL.filter((r) => inBatch(r) === 1).length],
      [2, true, ALL.filter((r) => inBatch(r) === 2).length],
    ]);
    const proofs = new ProofService({ store: relay.anchor, chainId: 31337, contract: `0x${'12'.repeat(20)}`, confirmations: 1 });
    for (const [gateway, seq] of [
      ['gw-north', 1],
      ['gw-south', 150],
      ['gw-south', 175],
    ] as const) {
      const doc = await proofs.proof(gateway, seq);
      expect(checkProofOffline(doc)).toMatchObject({ ok: true });
      expect(doc.record).toMatchObject({ kind: record(gateway, seq).kind, quality: record(gateway, seq).quality });
    }
  });

  it('leaves exactly the unanchored records to claim', async () => {
    const unanchored = ALL.filter((r) => inBatch(r) === null);
    expect(await relay.anchor.unclaimedCount(Number.MAX_SAFE_INTEGER)).toBe(unanchored.length);
    const claim = await relay.anchor.claimBatch({ periodStart: PERIOD_2, periodEnd: T0 + 10 * 86_400_000, now: T0 + 10 * 86_400_000 });
    expect(claim?.size).toBe(unanchored.length);
    const tree = await treeOfBatch(relay.anchor, claim?.id ?? -1);
    expect(root(tree).toString('hex')).toBe(rootOf(unanchored));
    expect(await relay.anchor.unclaimedCount(Number.MAX_SAFE_INTEGER)).toBe(0);
  });
});
