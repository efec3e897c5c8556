import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import Sqlite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upgradeBackupPath } from '../../agent/buffer/backup.ts';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { BUFFER_UPGRADE_BACKUP_FAILED, isBufferError } from '../../agent/buffer/errors.ts';
import { MIGRATIONS, migrate } from '../../agent/buffer/migrations.ts';
import { RECORD_TABLES } from '../../agent/buffer/statements.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord, StoredRecord } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';
import { inspect, upgradeBackups } from './backup-setup.ts';
import { makeRecord, WRITER_MAX_AGE_MS } from './fixtures/buffer-writer.ts';

/** 2030-01-02T03:04:05.678Z: the clock the upgraded agent starts with. */
const NOW = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
const clock: Clock = { now: () => NOW, monotonic: () => 0 };
const logger = testLogger();

let dir: string;
let file: string;
const open: RecordBuffer[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-upgrade-'));
  file = path.join(dir, 'buffer.db');
});

afterEach(async () => {
  for (const b of open.splice(0)) await b.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(): RecordBuffer {
  const b = new RecordBuffer({ path: file, maxAgeMs: WRITER_MAX_AGE_MS, clock, logger });
  open.push(b);
  b.start();
  return b;
}

/** A version-1 agent had no alarm detail: its alarm records read back without one. */
function asV1(r: NewRecord): NewRecord {
  const { alarm: _dropped, ...rest } = r;
  return rest;
}

/**
 * Row `seq` as a version-1 agent committed it (migrations.ts step 1): names interned in `names`,
 * the row in the table of its priority (no alarm column yet), `latest` per (device, channel) for
 * any kind (version 2 keeps readings only and repairs that).
 */
function insertV1(db: Database, seq: number, r: NewRecord): void {
  const id = (name: string): number => {
    db.prepare('INSERT OR IGNORE INTO names (name) VALUES (?)').run(name);
    return db.prepare('SELECT id FROM names WHERE name = ?').pluck().get(name) as number;
  };
  const quality = { good: 0, comm_error: 1, exception: 2, out_of_range: 3, sensor_fault: 4 }[r.quality];
  const row = [seq, r.kind === 'alarm' ? 1 : 0, id(r.device), id(r.channel), r.value, id(r.unit), quality, r.exception, r.ts, r.mono, id(r.bootId), r.flags];
  db.prepare(
    `INSERT INTO ${RECORD_TABLES[r.priority]} (seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, flags) VALUES (${row.map(() => '?').join(', ')})`,
  ).run(...row);
  db.prepare(
    `INSERT OR REPLACE INTO latest (seq, kind, device, channel, value, unit, quality, exception, ts, mono, boot, priority, flags)
     VALUES (${[...row.slice(0, 11), r.priority, r.flags].map(() => '?').join(', ')})`,
  ).run(...row.slice(0, 11), r.priority, r.flags);
}

/**
 * A version-1 buffer as a gateway in the field has it: records 1..total committed, the first
 * `released` of them sent and released, and the last `releasedTop` released out of order (the
 * counter, not max(seq), says what comes next). Returns what is still unsent.
 */
function v1Buffer(total: number, released: number, releasedTop: number): StoredRecord[] {
  const db = new Sqlite(file);
  try {
    db.pragma('journal_mode = WAL');
    migrate(db, logger, MIGRATIONS.slice(0, 1));
    db.transaction(() => {
      for (let seq = 1; seq <= total; seq++) insertV1(db, seq, asV1(makeRecord(5, seq - 1)));
      for (const t of RECORD_TABLES) db.prepare(`DELETE FROM ${t} WHERE seq <= ? OR seq > ?`).run(released, total - releasedTop);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'").run(total + 1);
    })();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
  } finally {
    db.close();
  }
  const unsent: StoredRecord[] = [];
  for (let seq = released + 1; seq <= total - releasedTop; seq++) unsent.push({ ...asV1(makeRecord(5, seq - 1)), seq });
  return unsent;
}

/** The sync's way through the buffer: pages of readAfter from its cursor. */
function readAllPaged(b: RecordBuffer, page: number): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (let cursor = 0; ; ) {
    const rows = b.readAfter(cursor, page);
    if (rows.length === 0) return out;
    out.push(...rows);
    cursor = rows[rows.length - 1]!.seq;
  }
}

describe('agent buffer upgrade', () => {
  it('a newer agent starts on an older buffer and keeps every unsent reading', async () => {
    const unsent = v1Buffer(5000, 700, 5);
    const b = start();

    // The copy was taken first, at version 1, with every row.
    const backup = upgradeBackupPath(file, MIGRATIONS.length, NOW);
    expect(backup).toBe(`${file}.pre-v${MIGRATIONS.length}-20300102T030405678Z.bak`);
    expect(upgradeBackups(file)).toEqual([backup]);
    expect(inspect(backup, `SELECT count(*) FROM records`)).toEqual({ integrity: ['ok'], version: 1, value: unsent.length });

    expect(inspect(file).version).toBe(MIGRATIONS.length);
    expect(b.readAfter(0, Number.MAX_SAFE_INTEGER)).toEqual(unsent);
    expect(readAllPaged(b, 333)).toEqual(unsent);
    expect(b.readAfter(0, 10, 'alarm')).toEqual(unsent.filter((r) => r.kind === 'alarm').slice(0, 10));
    expect(b.stats()).toMatchObject({ count: unsent.length, lastSeq: 5000 });

    // Seqs go on from the counter: 4996..5000 were released, never given again.
    const next = [makeRecord(6, 0), makeRecord(6, 23)];
    expect(await b.append(next)).toEqual([5001, 5002]);
    expect(b.readAfter(4990, 10)).toEqual([...unsent.slice(-5), { ...next[0]!, seq: 5001 }, { ...next[1]!, seq: 5002 }]);
    await b.stop();

    // Started again at the current version: no second copy.
    const again = start();
    expect(again.readAfter(0, Number.MAX_SAFE_INTEGER)).toHaveLength(unsent.length + 2);
    expect(upgradeBackups(file)).toEqual([backup]);
  });

  it('keeps the three newest upgrade copies, the one just taken among them whatever the clock says', () => {
    v1Buffer(50, 0, 0);
    const older = [
      upgradeBackupPath(file, 2, Date.UTC(2029, 0, 1)),
      upgradeBackupPath(file, 1, Date.UTC(2028, 5, 1)),
      upgradeBackupPath(file, 2, Date.UTC(2029, 6, 1)),
      // Written when the clock was ahead (a Pi without an RTC on a wrong NTP answer).
      upgradeBackupPath(file, 2, Date.UTC(2031, 0, 1)),
      upgradeBackupPath(file, 2, Date.UTC(2031, 5, 1)),
    ];
    for (const f of older) fs.writeFileSync(f, 'old copy');
    const crashed = `${upgradeBackupPath(file, 2, Date.UTC(2029, 1, 1))}.partial`;
    fs.writeFileSync(crashed, 'half a copy');
    const unrelated = path.join(dir, 'other.db.pre-v2-20290101T000000000Z.bak');
    fs.writeFileSync(unrelated, 'another file’s copy');

    start();
    expect(upgradeBackups(file).sort()).toEqual(
      [
        upgradeBackupPath(file, MIGRATIONS.length, NOW),
        upgradeBackupPath(file, 2, Date.UTC(2031, 0, 1)),
        upgradeBackupPath(file, 2, Date.UTC(2031, 5, 1)),
      ].sort(),
    );
    expect(fs.existsSync(crashed)).toBe(false);
    expect(fs.existsSync(unrelated)).toBe(true);
  });

  it('takes no copy of a new file', () => {
    start();
    expect(upgradeBackups(file)).toEqual([]);
    expect(fs.readdirSync(dir).sort()).toEqual(['buffer.db', 'buffer.db-shm', 'buffer.db-wal']);
  });

  it('does not migrate when the copy cannot be written, and upgrades once it can', () => {
    const unsent = v1Buffer(100, 10, 0);
    // A directory where the copy's temporary file goes: the copy fails the way a full disk would.
    const blocker = `${upgradeBackupPath(file, MIGRATIONS.length, NOW)}.partial`;
    fs.mkdirSync(blocker);
    const failing = new RecordBuffer({ path: file, maxAgeMs: WRITER_MAX_AGE_MS, clock, logger });
    let code: string | undefined;
    try {
      failing.start();
    } catch (err) {
      code = isBufferError(err) ? err.code : String(err);
    }
    expect(code).toBe(BUFFER_UPGRADE_BACKUP_FAILED);
    expect(inspect(file, 'SELECT count(*) FROM records')).toMatchObject({ version: 1, value: unsent.length });

    fs.rmdirSync(blocker);
    expect(start().readAfter(0, 1000)).toEqual(unsent);
    expect(upgradeBackups(file)).toHaveLength(1);
  });
});
