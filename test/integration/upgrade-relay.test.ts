import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Batcher } from '../../cloud/anchor/batcher.ts';
import { createAnchorStore } from '../../cloud/store/anchor.ts';
import type { AnchorStore } from '../../cloud/store/anchor-types.ts';
import { upgradeBackupPath } from '../../cloud/store/backup.ts';
import { createStore } from '../../cloud/store/index.ts';
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../cloud/store/migrations-sqlite.ts';
import type { RelayRecord, RelayStore } from '../../cloud/store/types.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { recordHash } from '../../protocols/sync/canonical.ts';
import { testLogger } from '../helpers/logger.ts';
import { inspect, upgradeBackups } from './backup-setup.ts';
import { makeRecord } from './fixtures/buffer-writer.ts';

const logger = testLogger();
const GATEWAYS = ['gw-north', 'gw-south'];
const PER_GATEWAY = 400;
/** When the old relay received the records, ms. */
const RECEIVED_AT = Date.UTC(2025, 5, 1);

let dir: string;
let file: string;
const stoppers: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-upgrade-relay-'));
  file = path.join(dir, 'relay.db');
});

afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A relay database at `version` as that relay left it: gateways and records in migration 1's
 * columns (anchor_batch came with version 3), a DGA obra row when version 2 is there. Returns the
 * records as the store reads them.
 */
function oldRelayDb(version: number): RelayRecord[] {
  const db = new Sqlite(file);
  const records: RelayRecord[] = [];
  try {
    db.pragma('journal_mode = WAL');
    migrateSqlite(db, logger, SQLITE_MIGRATIONS.slice(0, version));
    const insert =
      db.prepare(`INSERT INTO records (gateway, seq, kind, device, channel, value, unit, quality, exception, ts, ts_corrected, mono, boot_id, priority, flags, alarm, received_at, hash)
      VALUES (@gateway, @seq, @kind, @device, @channel, @value, @unit, @quality, @exception, @ts, @tsCorrected, @mono, @bootId, @priority, @flags, @alarm, @receivedAt, @hash)`);
    db.transaction(() => {
      for (const [g, gateway] of GATEWAYS.entries()) {
        db.prepare('INSERT INTO gateways (id, secret_ciphertext, created_at, last_seen_at, highest_seq, record_count) VALUES (?, ?, ?, ?, ?, ?)').run(
          gateway,
          'ciphertext',
          RECEIVED_AT,
          RECEIVED_AT,
          PER_GATEWAY,
          PER_GATEWAY,
        );
        for (let seq = 1; seq <= PER_GATEWAY; seq++) {
          const { alarm, ...fields } = { ...makeRecord(g + 1, seq), seq };
          const stored: StoredRecord = alarm === undefined ? fields : { ...fields, alarm };
          const record: RelayRecord = { ...stored, gateway, tsCorrected: null, receivedAt: RECEIVED_AT + seq, hash: recordHash(gateway, stored) };
          insert.run({ ...record, alarm: alarm === undefined ? null : JSON.stringify(alarm) });
          records.push(record);
        }
      }
      if (version >= 2) db.prepare('INSERT INTO dga_obras (obra, created_at) VALUES (?, ?)').run('OB-0101-1', RECEIVED_AT);
    })();
  } finally {
    db.close();
  }
  return records;
}

async function started<T extends { start(): Promise<void>; stop(): Promise<void> }>(store: T): Promise<T> {
  await store.start();
  stoppers.push(() => store.stop());
  return store;
}

async function allRecords(store: RelayStore, gateway: string): Promise<RelayRecord[]> {
  const out: RelayRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryRecords({ gateway, limit: 150, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return out;
}

describe('relay SQLite upgrade', () => {
  for (const version of [1, 2]) {
    it(`a version-${version} relay database upgraded to ${SQLITE_MIGRATIONS.length} keeps every record, and they are claimable by an anchor batch`, async () => {
      const records = oldRelayDb(version);
      expect(upgradeBackups(file)).toEqual([]);

      const store = await started(createStore({ kind: 'sqlite', path: file }, logger));
      expect(inspect(file).version).toBe(SQLITE_MIGRATIONS.length);
      const [backup, ...more] = upgradeBackups(file);
      expect(more).toEqual([]);
      expect(backup).toMatch(new RegExp(`relay\\.db\\.pre-v${SQLITE_MIGRATIONS.length}-\\d{8}T\\d{9}Z\\.bak$`));
      expect(inspect(backup!, 'SELECT count(*) FROM records')).toEqual({ integrity: ['ok'], version, value: records.length });

      for (const gateway of GATEWAYS) {
        expect(await allRecords(store, gateway)).toEqual(records.filter((r) => r.gateway === gateway).sort((a, b) => a.seq - b.seq));
      }
      expect((await store.listGateways()).map((g) => [g.id, g.records, g.highestSeq])).toEqual(GATEWAYS.map((g) => [g, PER_GATEWAY, PER_GATEWAY]));
      if (version >= 2) expect(inspect(file, 'SELECT count(*) FROM dga_obras').value).toBe(1);

      // Records received before the upgrade are anchored like any other: all in the first batch.
      const anchor: AnchorStore = await started(createAnchorStore({ kind: 'sqlite', path: file }, logger));
      expect(await anchor.unclaimedCount(Number.MAX_SAFE_INTEGER)).toBe(records.length);
      const batch = await new Batcher({ store: anchor, clock: systemClock, logger }).cut(RECEIVED_AT + PER_GATEWAY + 1);
      expect(batch).toMatchObject({ size: records.length, status: 'pending' });
      expect(batch!.root).toMatch(/^[0-9a-f]{64}$/);
      const info = await anchor.recordAnchor(GATEWAYS[1]!, PER_GATEWAY);
      expect(info).toMatchObject({ batchId: batch!.id, index: records.length - 1 });
      expect(await anchor.unclaimedCount(Number.MAX_SAFE_INTEGER)).toBe(0);
    });
  }

  it('keeps the three newest upgrade copies of the database', async () => {
    oldRelayDb(1);
    const older = [Date.UTC(2024, 0, 1), Date.UTC(2024, 6, 1), Date.UTC(2025, 0, 1)].map((at) => upgradeBackupPath(file, 2, at));
    for (const f of older) fs.writeFileSync(f, 'old copy');
    await started(createStore({ kind: 'sqlite', path: file }, logger));
    const kept = upgradeBackups(file);
    expect(kept).toHaveLength(3);
    expect(kept).not.toContain(older[0]);
    expect(kept).toContain(older[2]);
    expect(kept.filter((f) => !older.includes(f)).map((f) => inspect(f).version)).toEqual([1]);
  });

  it('takes no copy of a new database, nor of one already current', async () => {
    await (await started(createStore({ kind: 'sqlite', path: file }, logger))).stop();
    await started(createStore({ kind: 'sqlite', path: file }, logger));
    await started(createAnchorStore({ kind: 'sqlite', path: file }, logger));
    expect(upgradeBackups(file)).toEqual([]);
  });
});
